"""Booking, cancelling and recording the outcome of appointments."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Conflict, NotFound, Unprocessable
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.ids import new_id
from caremesh.modules.scheduling.application import events
from caremesh.modules.scheduling.application.errors import as_kernel_errors
from caremesh.modules.scheduling.application.metrics import (
    APPOINTMENT_OUTCOMES,
    APPOINTMENTS_BOOKED,
    APPOINTMENTS_CANCELLED,
    BOOKING_CONFLICTS,
)
from caremesh.modules.scheduling.application.ports import ActiveAppointmentExists, SchedulingStore
from caremesh.modules.scheduling.domain.appointment import Appointment, AppointmentStatus
from caremesh.modules.scheduling.domain.slot import SlotStatus, ensure_bookable

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class BookingRequest:
    slot_id: str
    patient_id: str
    booked_by: str
    service_type: str | None = None
    reason: str | None = None


def _booking_conflict(message: str) -> Conflict:
    BOOKING_CONFLICTS.inc()
    return Conflict(message)


async def book_appointment(
    conn: Connection, request: BookingRequest, *, store: SchedulingStore, outbox: Outbox, clock: Clock
) -> Appointment:
    now = clock()
    slot = await store.slot(conn, request.slot_id)
    schedule = None if slot is None else await store.schedule(conn, slot.schedule_id)
    if slot is None or schedule is None:
        raise Unprocessable("no slot with this id")
    try:
        with as_kernel_errors():
            ensure_bookable(slot, schedule_active=schedule.active, now=now)
    except Conflict as exc:
        raise _booking_conflict(exc.message) from exc
    if not await store.claim_slot(conn, slot.id, now):
        raise _booking_conflict("the slot was just booked by another request")
    appointment = Appointment(
        id=new_id(),
        slot_id=slot.id,
        schedule_id=schedule.id,
        practitioner_id=schedule.practitioner_id,
        patient_id=request.patient_id,
        status=AppointmentStatus.BOOKED,
        start=slot.start,
        end=slot.end,
        created_at=now,
        updated_at=now,
        booked_by=request.booked_by,
        location=schedule.location,
        service_type=request.service_type or schedule.service_type,
        reason=request.reason,
    )
    try:
        await store.add_appointment(conn, appointment)
    except ActiveAppointmentExists as exc:
        raise _booking_conflict("the slot already has an active appointment") from exc
    await outbox.add(conn, events.booked(appointment))
    conn.on_commit(APPOINTMENTS_BOOKED.inc)
    log.info("appointment booked", appointment_id=appointment.id, slot_id=slot.id)
    return appointment


async def require_appointment(
    conn: Connection, appointment_id: str, *, store: SchedulingStore
) -> Appointment:
    appointment = await store.appointment(conn, appointment_id)
    if appointment is None:
        raise NotFound("no appointment with this id")
    return appointment


async def cancel_appointment(
    conn: Connection,
    appointment_id: str,
    *,
    reason: str | None,
    store: SchedulingStore,
    outbox: Outbox,
    clock: Clock,
) -> Appointment:
    """Cancel and free the slot in one transaction, so the slot is bookable exactly when cancelled."""
    current = await require_appointment(conn, appointment_id, store=store)
    with as_kernel_errors():
        cancelled = current.cancel(now=clock(), reason=reason)
    if not await store.save_status(conn, cancelled, previous=current.status):
        raise Conflict("the appointment changed while this request ran; reload it")
    await store.change_slot_status(conn, current.slot_id, SlotStatus.BUSY, SlotStatus.FREE, clock())
    await outbox.add(conn, events.cancelled(cancelled))
    conn.on_commit(APPOINTMENTS_CANCELLED.inc)
    log.info("appointment cancelled", appointment_id=appointment_id, slot_id=current.slot_id)
    return cancelled


async def record_outcome(
    conn: Connection, appointment_id: str, outcome: AppointmentStatus, *, store: SchedulingStore, clock: Clock
) -> Appointment:
    """Mark a started appointment fulfilled or a no-show; the slot stays busy (its time was used)."""
    current = await require_appointment(conn, appointment_id, store=store)
    with as_kernel_errors():
        updated = current.record_outcome(outcome, now=clock())
    if not await store.save_status(conn, updated, previous=current.status):
        raise Conflict("the appointment changed while this request ran; reload it")
    conn.on_commit(lambda: APPOINTMENT_OUTCOMES.labels(outcome=outcome.value).inc())
    log.info("appointment outcome recorded", appointment_id=appointment_id, outcome=outcome.value)
    return updated
