"""Double booking is impossible: under concurrent requests, and even for code that skips the rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from scheduling_harness import PROBLEM, SchedulingApp, bearer

from caremesh.kernel.ids import new_id
from caremesh.modules.scheduling.adapters.store import SqlSchedulingStore
from caremesh.modules.scheduling.application.ports import ActiveAppointmentExists
from caremesh.modules.scheduling.domain.appointment import Appointment, AppointmentStatus

CONCURRENT_REQUESTS = 32


async def test_concurrent_bookings_of_one_slot_yield_exactly_one_appointment(api: SchedulingApp) -> None:
    schedule = await api.create_schedule()
    await api.generate(schedule["id"])
    slot = (await api.slots(schedule_id=schedule["id"]))[0]

    async def attempt(n: int) -> tuple[int, str]:
        # Separate callers with separate keys: idempotency must not be what serialises them.
        response = await api.client.post(
            "/v1/appointments",
            json={"slot_id": slot["id"], "patient_id": f"pat-t-{n:04d}"},
            headers={"Idempotency-Key": f"race-{n}", **bearer(subject=f"user-{n}", client_id=f"client-{n}")},
        )
        return response.status_code, response.headers["content-type"]

    results = await asyncio.gather(*(attempt(n) for n in range(CONCURRENT_REQUESTS)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (CONCURRENT_REQUESTS - 1)
    assert all(kind.startswith(PROBLEM) for status, kind in results if status == 409)
    assert await api.scalar("SELECT count(*) FROM appointments WHERE slot_id = $1", slot["id"]) == 1
    booked_events = "SELECT count(*) FROM outbox WHERE event_type = 'scheduling.AppointmentBooked'"
    assert await api.scalar(booked_events) == 1
    assert await api.scalar("SELECT status FROM slots WHERE id = $1", slot["id"]) == "busy"


def appointment_for(slot: dict[str, str], patient_id: str) -> Appointment:
    now = datetime.now(UTC)
    start = datetime.fromisoformat(slot["start"])
    return Appointment(
        id=new_id(),
        slot_id=slot["id"],
        schedule_id=slot["schedule_id"],
        practitioner_id="prac-t-0001",
        patient_id=patient_id,
        status=AppointmentStatus.BOOKED,
        start=start,
        end=start + timedelta(minutes=30),
        created_at=now,
        updated_at=now,
        booked_by="test",
    )


async def test_the_database_itself_refuses_a_second_active_appointment(api: SchedulingApp) -> None:
    schedule = await api.create_schedule()
    await api.generate(schedule["id"])
    slot = (await api.slots(schedule_id=schedule["id"]))[0]
    store = SqlSchedulingStore()
    first = appointment_for(slot, "pat-t-0001")
    async with api.db.transaction() as conn:
        await store.add_appointment(conn, first)
    # Bypassing the slot's conditional UPDATE: the unique partial index still says no.
    with pytest.raises(ActiveAppointmentExists):
        async with api.db.transaction() as conn:
            await store.add_appointment(conn, appointment_for(slot, "pat-t-0002"))
    async with api.db.transaction() as conn:
        cancelled = first.cancel(now=datetime.now(UTC), reason=None)
        assert await store.save_status(conn, cancelled, previous=AppointmentStatus.BOOKED)
        await store.add_appointment(conn, appointment_for(slot, "pat-t-0003"))
    assert await api.scalar("SELECT count(*) FROM appointments WHERE status <> 'cancelled'") == 1
