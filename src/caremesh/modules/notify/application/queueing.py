"""Queueing a message for a patient: one notification per channel, sendable or skipped with a reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.db.base import Connection
from caremesh.kernel.ids import new_id
from caremesh.modules.notify.application.metrics import NOTIFICATIONS_SKIPPED
from caremesh.modules.notify.application.ports import NotificationStore
from caremesh.modules.notify.domain.notification import PENDING, SKIPPED, NewNotification, dedupe_key
from caremesh.modules.notify.domain.preferences import Preferences, plan_channels


@dataclass(frozen=True)
class MessageRequest:
    patient_id: str
    kind: str
    template: str
    category: str
    variables: Mapping[str, object]
    due_at: datetime
    expires_at: datetime | None = None
    appointment_id: str | None = None
    channels: Iterable[str] | None = None  # None: the patient's enabled channels


async def queue_message(
    conn: Connection,
    request: MessageRequest,
    *,
    prefs: Preferences | None,
    store: NotificationStore,
    now: datetime,
) -> list[str]:
    """Insert the notifications of ``request``; return the ids of those created now.

    Appointment notices carry a dedupe key, so a republished event adds nothing.
    """
    created: list[str] = []
    for decision in plan_channels(prefs, request.category, request.channels):
        notification = NewNotification(
            id=new_id(),
            patient_id=request.patient_id,
            kind=request.kind,
            template=request.template,
            category=request.category,
            channel=decision.channel,
            variables=dict(request.variables),
            status=PENDING if decision.sendable else SKIPPED,
            last_error=decision.skip_reason,
            next_attempt_at=request.due_at if decision.sendable else None,
            expires_at=request.expires_at,
            appointment_id=request.appointment_id,
            dedupe_key=(
                dedupe_key(request.appointment_id, request.template, decision.channel)
                if request.appointment_id
                else None
            ),
            created_at=now,
        )
        if await store.insert(conn, notification):
            created.append(notification.id)
            if not decision.sendable:
                conn.on_commit(NOTIFICATIONS_SKIPPED.labels(decision.channel or "none").inc)
    return created
