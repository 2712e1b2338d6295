"""Helpers for the notify integration tests: a running notify process, fakes of its neighbours.

The neighbours' fakes are in ``notify_fakes``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from notify_fakes import PATIENT, FakeScheduling

from caremesh.bootstrap import Runtime
from caremesh.contracts.scheduling import AppointmentBooked, AppointmentCancelled
from caremesh.kernel.clock import utcnow
from caremesh.kernel.db.base import Database
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.ids import new_id
from caremesh.modules.notify.adapters.recipients_sql import SqlRecipientStore
from caremesh.modules.notify.application.commands import put_preferences
from caremesh.modules.notify.domain.preferences import Preferences

SENDER = "CareMesh Test <no-reply@example.org>"


def fast_delivery(**overrides: Any) -> dict[str, Any]:
    return {
        "poll_interval_seconds": 0.05, "retry_base_seconds": 0.05, "retry_max_seconds": 0.2,
        "max_attempts": 4, "lease_seconds": 30, "reminder_postpone_seconds": 60, **overrides,
    }  # fmt: skip


def smtp_config(port: int, **delivery: Any) -> dict[str, Any]:
    return {
        "channels": {"email": "smtp"},
        "smtp": {"host": "127.0.0.1", "port": port, "from": SENDER, "starttls": False, "timeout_seconds": 2},
        "delivery": fast_delivery(**delivery),
    }


def booked(patient_id: str = PATIENT, *, days_ahead: float = 3) -> AppointmentBooked:
    start = (utcnow() + timedelta(days=days_ahead)).replace(microsecond=0)
    return AppointmentBooked(
        appointment_id=new_id(), patient_id=patient_id, schedule_id="sch-t-0001", slot_id=new_id(),
        practitioner_id="prac-t-0001", start=start, end=start + timedelta(minutes=30),
        service_type="general-practice",
    )  # fmt: skip


def cancelled(event: AppointmentBooked) -> AppointmentCancelled:
    return AppointmentCancelled(
        appointment_id=event.appointment_id, patient_id=event.patient_id, slot_id=event.slot_id,
        start=event.start, reason="patient request", cancelled_at=utcnow(),
    )  # fmt: skip


async def eventually(check: Callable[[], Awaitable[Any]], *, timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        await asyncio.sleep(0.02)


@dataclass
class NotifyHarness:
    runtime: Runtime
    scheduling: FakeScheduling

    @property
    def db(self) -> Database:
        return self.runtime.contexts["notify"].db

    async def publish(self, *events: AppointmentBooked | AppointmentCancelled) -> list[Envelope]:
        envelopes = [Envelope.wrap(event, source="scheduling") for event in events]
        await self.runtime.transport.publish(envelopes)
        return envelopes

    async def set_preferences(self, patient_id: str = PATIENT, **fields: Any) -> None:
        values = {"email": "robin.test@example.org", "channels": frozenset({"email"}), "timezone": "UTC"}
        prefs = Preferences(patient_id=patient_id, **{**values, **fields})
        async with self.db.transaction() as conn:
            await put_preferences(conn, prefs, recipients=SqlRecipientStore(), now=utcnow())

    async def rows(self, where: str = "1 = 1", *args: Any) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            rows = await conn.fetch(
                f"SELECT * FROM notifications WHERE {where} ORDER BY created_at, id", *args
            )
        return [dict(row) for row in rows]

    async def one(self, where: str, *args: Any) -> dict[str, Any]:
        rows = await self.rows(where, *args)
        assert len(rows) == 1, rows
        return rows[0]

    async def attempts(self, notification_id: str) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            rows = await conn.fetch(
                "SELECT * FROM delivery_attempts WHERE notification_id = $1 ORDER BY attempt", notification_id
            )
        return [dict(row) for row in rows]

    async def outbox(self) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            rows = await conn.fetch("SELECT body FROM outbox ORDER BY seq")
        return [orjson.loads(row["body"]) for row in rows]

    async def status_of(self, where: str, *args: Any) -> str | None:
        rows = await self.rows(where, *args)
        return str(rows[0]["status"]) if len(rows) == 1 else None

    async def wait_status(self, status: str, where: str, *args: Any, timeout: float = 10.0) -> dict[str, Any]:
        async def reached() -> bool:
            return await self.status_of(where, *args) == status

        await eventually(reached, timeout=timeout)
        return await self.one(where, *args)

    async def make_reminders_due(self) -> None:
        """Time travel: the reminders become due now instead of a day before the appointment."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE notifications SET next_attempt_at = $1 "
                "WHERE kind = 'reminder' AND status = 'pending'",
                utcnow(),
            )


# Starts a notify process configured like a topology's [modules.notify] table (conftest fixture).
StartNotify = Callable[[dict[str, Any]], Awaitable[NotifyHarness]]
