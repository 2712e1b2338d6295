"""Demo data: three practitioners' schedules, two working weeks of slots, a few booked visits.

Idempotent: schedules have fixed ids, slot generation skips slots that already exist, and a
demo patient is booked only if they have no active appointment on that schedule yet. The
patients are the synthetic ``pat-demo-000N`` ids the other modules' demo loaders use too.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from caremesh.modules.scheduling.application import booking, schedules
from caremesh.modules.scheduling.application.deps import SchedulingDeps
from caremesh.modules.scheduling.application.ports import AppointmentQuery, SlotQuery
from caremesh.modules.scheduling.domain.appointment import AppointmentStatus
from caremesh.modules.scheduling.domain.availability import Availability, WorkingHours
from caremesh.modules.scheduling.domain.schedule import load_zone
from caremesh.modules.scheduling.domain.slot import SlotStatus

WORKING_DAYS = 14

DEMO_SCHEDULES = {
    "sch-demo-0001": schedules.NewSchedule(
        "prac-demo-0001", "general-practice", "America/New_York", "Main Clinic, Room 1"
    ),
    "sch-demo-0002": schedules.NewSchedule(
        "prac-demo-0002", "cardiology", "America/New_York", "Heart Center, Room 4"
    ),
    "sch-demo-0003": schedules.NewSchedule(
        "prac-demo-0003", "physiotherapy", "Europe/Berlin", "Rehab Unit, Gym 2"
    ),
}

# (patient, schedule, which free slot): spread over the fortnight so the calendar looks lived in.
DEMO_BOOKINGS = (
    ("pat-demo-0001", "sch-demo-0001", 3),
    ("pat-demo-0002", "sch-demo-0002", 17),
    ("pat-demo-0003", "sch-demo-0003", 30),
    ("pat-demo-0001", "sch-demo-0002", 45),
)

WORKING_HOURS = (WorkingHours(time(9), time(12)), WorkingHours(time(13), time(17)))


def next_working_days(after: date, count: int) -> tuple[date, date]:
    """First and last of the ``count`` Monday-to-Friday days following ``after``."""
    days: list[date] = []
    day = after
    while len(days) < count:
        day += timedelta(days=1)
        if day.isoweekday() <= 5:
            days.append(day)
    return days[0], days[-1]


async def load_demo(deps: SchedulingDeps) -> dict[str, Any]:
    created_schedules = created_slots = booked = 0
    for schedule_id, draft in DEMO_SCHEDULES.items():
        created_schedules += await _ensure_schedule(deps, schedule_id, draft)
        created_slots += await _fill_fortnight(deps, schedule_id, draft.timezone)
    for patient_id, schedule_id, nth_free in DEMO_BOOKINGS:
        booked += await _ensure_booking(deps, patient_id, schedule_id, nth_free)
    return {"schedules": created_schedules, "slots": created_slots, "appointments": booked}


async def _ensure_schedule(deps: SchedulingDeps, schedule_id: str, draft: schedules.NewSchedule) -> int:
    async with deps.db.transaction() as conn:
        if await deps.store.schedule(conn, schedule_id) is not None:
            return 0
        await schedules.create_schedule(
            conn, draft, store=deps.store, clock=deps.clock, schedule_id=schedule_id
        )
    return 1


async def _fill_fortnight(deps: SchedulingDeps, schedule_id: str, timezone: str) -> int:
    today = deps.clock().astimezone(load_zone(timezone)).date()
    first, last = next_working_days(today, WORKING_DAYS)
    availability = Availability(first, last, frozenset(range(1, 6)), WORKING_HOURS, timedelta(minutes=30))
    async with deps.db.transaction() as conn:
        result = await schedules.generate_slots(
            conn, schedule_id, availability, store=deps.store, clock=deps.clock
        )
    return result.created


async def _ensure_booking(deps: SchedulingDeps, patient_id: str, schedule_id: str, nth_free: int) -> int:
    async with deps.db.transaction() as conn:
        existing = await deps.store.appointments(
            conn,
            AppointmentQuery(
                limit=1, patient_id=patient_id, schedule_id=schedule_id, status=AppointmentStatus.BOOKED
            ),
        )
        if existing:
            return 0
        free = await deps.store.slots(
            conn,
            SlotQuery(
                limit=nth_free + 1, schedule_id=schedule_id, starts_from=deps.clock(), status=SlotStatus.FREE
            ),
        )
        if len(free) <= nth_free:
            return 0
        request = booking.BookingRequest(
            slot_id=free[nth_free].id, patient_id=patient_id, booked_by="demo-loader"
        )
        await booking.book_appointment(conn, request, store=deps.store, outbox=deps.outbox, clock=deps.clock)
    return 1
