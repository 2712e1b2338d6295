"""Use cases on schedules and their slots."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Conflict, NotFound
from caremesh.kernel.ids import new_id
from caremesh.modules.scheduling.application.errors import as_kernel_errors
from caremesh.modules.scheduling.application.metrics import SLOTS_CREATED
from caremesh.modules.scheduling.application.ports import SchedulingStore
from caremesh.modules.scheduling.domain.availability import Availability, plan_slots, without_overlaps
from caremesh.modules.scheduling.domain.schedule import Schedule
from caremesh.modules.scheduling.domain.slot import Interval, Slot, SlotStatus, ensure_status_change

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class NewSchedule:
    practitioner_id: str
    service_type: str
    timezone: str
    location: str | None = None
    active: bool = True


@dataclass(frozen=True)
class GenerationResult:
    planned: int
    created: int

    @property
    def skipped(self) -> int:
        return self.planned - self.created


async def create_schedule(
    conn: Connection,
    draft: NewSchedule,
    *,
    store: SchedulingStore,
    clock: Clock,
    schedule_id: str | None = None,
) -> Schedule:
    with as_kernel_errors():
        schedule = Schedule(
            id=schedule_id or new_id(),
            practitioner_id=draft.practitioner_id,
            service_type=draft.service_type,
            timezone=draft.timezone,
            location=draft.location,
            active=draft.active,
            created_at=clock(),
        )
    await store.add_schedule(conn, schedule)
    log.info("schedule created", schedule_id=schedule.id)
    return schedule


async def require_schedule(conn: Connection, schedule_id: str, *, store: SchedulingStore) -> Schedule:
    schedule = await store.schedule(conn, schedule_id)
    if schedule is None:
        raise NotFound("no schedule with this id")
    return schedule


async def set_schedule_active(
    conn: Connection, schedule_id: str, active: bool, *, store: SchedulingStore, clock: Clock
) -> Schedule:
    if not await store.lock_schedule(conn, schedule_id, clock()):
        raise NotFound("no schedule with this id")
    await store.set_schedule_active(conn, schedule_id, active, clock())
    return await require_schedule(conn, schedule_id, store=store)


async def generate_slots(
    conn: Connection, schedule_id: str, availability: Availability, *, store: SchedulingStore, clock: Clock
) -> GenerationResult:
    """Create the free slots ``availability`` describes, skipping any that would overlap a slot."""
    now = clock()
    # Serialises generators of one schedule, so two concurrent runs cannot both miss each other's slots.
    if not await store.lock_schedule(conn, schedule_id, now):
        raise NotFound("no schedule with this id")
    schedule = await require_schedule(conn, schedule_id, store=store)
    if not schedule.active:
        raise Conflict("slots cannot be generated for an inactive schedule")
    with as_kernel_errors():
        planned = plan_slots(availability, schedule.zone, not_before=now)
    if not planned:
        return GenerationResult(planned=0, created=0)
    existing = await store.slot_intervals(conn, schedule_id, Interval(planned[0].start, planned[-1].end))
    accepted = without_overlaps(planned, existing)
    await store.add_slots(conn, schedule_id, accepted, now)
    conn.on_commit(lambda: SLOTS_CREATED.inc(len(accepted)))
    log.info("slots generated", schedule_id=schedule_id, count=len(accepted))
    return GenerationResult(planned=len(planned), created=len(accepted))


async def require_slot(conn: Connection, slot_id: str, *, store: SchedulingStore) -> Slot:
    slot = await store.slot(conn, slot_id)
    if slot is None:
        raise NotFound("no slot with this id")
    return slot


async def change_slot_status(
    conn: Connection, slot_id: str, target: SlotStatus, *, store: SchedulingStore, clock: Clock
) -> Slot:
    """Block a free slot (e.g. the practitioner is away) or release a blocked one."""
    slot = await require_slot(conn, slot_id, store=store)
    with as_kernel_errors():
        ensure_status_change(slot, target)
    if not await store.change_slot_status(conn, slot_id, slot.status, target, clock()):
        raise Conflict("the slot changed while this request ran; reload it and retry")
    return await require_slot(conn, slot_id, store=store)
