"""SQL for notifications and their delivery attempts (one text for both dialects)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from caremesh.contracts.notify import DeliveryAttemptView, NotificationView
from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.notify.application.ports import AttemptRecord
from caremesh.modules.notify.domain.notification import PENDING, DueNotification, NewNotification

_DUE = (
    "id, patient_id, kind, template_key, category, channel, appointment_id, variables, attempts, expires_at"
)
_VIEW = (
    "id, patient_id, kind, template_key, category, channel, appointment_id, status, attempts, last_error, "
    "next_attempt_at, created_at, updated_at, delivered_at"
)


def _due(row: Row) -> DueNotification:
    return DueNotification(
        id=row["id"],
        patient_id=row["patient_id"],
        kind=row["kind"],
        template=row["template_key"],
        category=row["category"],
        channel=row["channel"],
        appointment_id=row["appointment_id"],
        variables=orjson.loads(row["variables"]),
        attempts=int(row["attempts"]),
        expires_at=row["expires_at"],
    )


def _view(row: Row, history: list[DeliveryAttemptView] | None = None) -> NotificationView:
    fields: dict[str, Any] = {key: row[key] for key in _VIEW.split(", ")}
    fields["template"] = fields.pop("template_key")
    # While a worker holds a notification, next_attempt_at is its lease, not a schedule.
    return NotificationView(**fields, history=history or [])


class SqlNotificationStore:
    async def insert(self, conn: Connection, notification: NewNotification) -> bool:
        n = notification
        changed = await conn.execute(
            "INSERT INTO notifications (id, patient_id, kind, template_key, category, channel, "
            "appointment_id, variables, status, attempts, last_error, dedupe_key, next_attempt_at, "
            "expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, "
            "$12, $13, $14, $14) ON CONFLICT (dedupe_key) DO NOTHING",
            n.id, n.patient_id, n.kind, n.template, n.category, n.channel, n.appointment_id,
            orjson.dumps(n.variables).decode(), n.status, n.last_error, n.dedupe_key,
            n.next_attempt_at, n.expires_at, n.created_at,
        )  # fmt: skip
        return changed == 1

    async def claim_due(
        self, conn: Connection, *, kind: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[DueNotification]:
        # SQLite has one writer at a time, so its transaction alone makes the claim exclusive.
        lock = " FOR UPDATE SKIP LOCKED" if conn.dialect == "postgres" else ""
        rows = await conn.fetch(
            f"SELECT {_DUE} FROM notifications WHERE status = 'pending' AND kind = $1 "
            f"AND next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $3{lock}",
            kind,
            now,
            limit,
        )
        # The lease: a worker that dies mid-send leaves the notification due again afterwards.
        await conn.executemany(
            "UPDATE notifications SET next_attempt_at = $2, updated_at = $3 WHERE id = $1",
            [(row["id"], lease_until, now) for row in rows],
        )
        return [_due(row) for row in rows]

    async def record_attempt(self, conn: Connection, attempt: AttemptRecord) -> None:
        a = attempt
        await conn.execute(
            "INSERT INTO delivery_attempts (notification_id, attempt, provider, outcome, error, "
            "provider_message_id, started_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            a.notification_id, a.attempt, a.provider, a.outcome, a.error, a.provider_message_id,
            a.started_at, a.finished_at,
        )  # fmt: skip

    async def mark_delivered(
        self, conn: Connection, notification_id: str, *, attempts: int, now: datetime
    ) -> None:
        # Unconditional: a message that went out is recorded as delivered even if it was
        # cancelled while the provider was being called.
        await conn.execute(
            "UPDATE notifications SET status = 'delivered', attempts = $2, last_error = NULL, "
            "next_attempt_at = NULL, delivered_at = $3, updated_at = $3 WHERE id = $1",
            notification_id,
            attempts,
            now,
        )

    async def reschedule(
        self, conn: Connection, notification_id: str, *, at: datetime, attempts: int, note: str, now: datetime
    ) -> bool:
        changed = await conn.execute(
            "UPDATE notifications SET next_attempt_at = $2, attempts = $3, last_error = $4, updated_at = $5 "
            "WHERE id = $1 AND status = 'pending'",
            notification_id, at, attempts, note, now,
        )  # fmt: skip
        return changed == 1

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
        changed = await conn.execute(
            "UPDATE notifications SET status = $2, attempts = $3, last_error = $4, next_attempt_at = NULL, "
            "updated_at = $5 WHERE id = $1 AND status = $6",
            notification_id, status, attempts, reason, now, PENDING,
        )  # fmt: skip
        return changed == 1

    async def cancel_pending(
        self, conn: Connection, *, appointment_id: str, kind: str, reason: str, now: datetime
    ) -> int:
        return await conn.execute(
            "UPDATE notifications SET status = 'cancelled', last_error = $3, next_attempt_at = NULL, "
            "updated_at = $4 WHERE appointment_id = $1 AND kind = $2 AND status = 'pending'",
            appointment_id, kind, reason, now,
        )  # fmt: skip

    async def get(self, conn: Connection, notification_id: str) -> NotificationView | None:
        row = await conn.fetchrow(f"SELECT {_VIEW} FROM notifications WHERE id = $1", notification_id)
        if row is None:
            return None
        attempts = await conn.fetch(
            "SELECT attempt, provider, outcome, error, started_at, finished_at FROM delivery_attempts "
            "WHERE notification_id = $1 ORDER BY attempt",
            notification_id,
        )
        return _view(row, [DeliveryAttemptView(**dict(a)) for a in attempts])

    async def list_for_patient(
        self, conn: Connection, patient_id: str, *, limit: int
    ) -> list[NotificationView]:
        rows = await conn.fetch(
            f"SELECT {_VIEW} FROM notifications WHERE patient_id = $1 "
            "ORDER BY created_at DESC, id DESC LIMIT $2",
            patient_id,
            limit,
        )
        return [_view(row) for row in rows]
