"""What the use cases need from the outside: storage and channel providers.

Stores take the caller's connection, so a notification commits in the same transaction as the
event's inbox mark, the idempotency record or the outbox event that goes with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from caremesh.contracts.notify import NotificationView
from caremesh.kernel.db.base import Connection
from caremesh.modules.notify.domain.delivery import OutgoingMessage, Receipt
from caremesh.modules.notify.domain.notification import DueNotification, NewNotification
from caremesh.modules.notify.domain.preferences import Preferences
from caremesh.modules.notify.domain.templates import MessageTemplate


class Sender(Protocol):
    """A channel's provider adapter; raises TransientDeliveryError or PermanentDeliveryError."""

    channel: str
    provider: str

    async def send(self, message: OutgoingMessage) -> Receipt: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class AttemptRecord:
    notification_id: str
    attempt: int
    provider: str
    outcome: str  # "delivered", "transient-error" or "permanent-error"
    error: str | None
    provider_message_id: str | None
    started_at: datetime
    finished_at: datetime


class NotificationStore(Protocol):
    async def insert(self, conn: Connection, notification: NewNotification) -> bool:
        """False when a notification with the same dedupe key already exists."""
        ...

    async def claim_due(
        self, conn: Connection, *, kind: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueNotification]: ...

    async def record_attempt(self, conn: Connection, attempt: AttemptRecord) -> None: ...

    async def mark_delivered(
        self, conn: Connection, notification_id: str, *, attempts: int, now: datetime
    ) -> None: ...

    async def reschedule(
        self, conn: Connection, notification_id: str, *, at: datetime, attempts: int, note: str, now: datetime
    ) -> bool: ...

    async def finish(
        self,
        conn: Connection,
        notification_id: str,
        *,
        status: str,
        attempts: int,
        reason: str,
        now: datetime,
    ) -> bool:
        """Move a still-pending notification to a final status; False if it was no longer pending."""
        ...

    async def cancel_pending(
        self, conn: Connection, *, appointment_id: str, kind: str, reason: str, now: datetime
    ) -> int: ...

    async def get(self, conn: Connection, notification_id: str) -> NotificationView | None: ...

    async def list_for_patient(
        self, conn: Connection, patient_id: str, *, limit: int
    ) -> list[NotificationView]: ...


class RecipientStore(Protocol):
    async def get(self, conn: Connection, patient_id: str) -> Preferences | None: ...

    async def upsert(self, conn: Connection, prefs: Preferences, *, now: datetime) -> None: ...


class TemplateStore(Protocol):
    async def get(self, conn: Connection, key: str, channel: str) -> MessageTemplate | None: ...

    async def for_key(self, conn: Connection, key: str) -> dict[str, MessageTemplate]: ...

    async def seed(self, conn: Connection, templates: list[MessageTemplate], *, now: datetime) -> int:
        """Insert missing defaults and upgrade older default versions; return how many changed."""
        ...
