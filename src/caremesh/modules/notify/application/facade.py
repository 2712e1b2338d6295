"""The in-process implementation of the NotifyAPI contract (reads only)."""

from __future__ import annotations

from caremesh.contracts.notify import NotificationView
from caremesh.kernel.db.base import Database
from caremesh.modules.notify.application.ports import NotificationStore

MAX_LIST = 500


class NotifyFacade:
    def __init__(self, db: Database, store: NotificationStore) -> None:
        self._db = db
        self._store = store

    async def get_notification(self, notification_id: str) -> NotificationView | None:
        async with self._db.read() as conn:
            return await self._store.get(conn, notification_id)

    async def list_notifications(self, patient_id: str, limit: int = 100) -> list[NotificationView]:
        async with self._db.read() as conn:
            return await self._store.list_for_patient(conn, patient_id, limit=max(1, min(limit, MAX_LIST)))
