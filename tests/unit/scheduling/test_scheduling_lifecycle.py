"""Booking rules for slots and the appointment lifecycle."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from caremesh.modules.scheduling.domain.appointment import (
    ALLOWED_TRANSITIONS,
    Appointment,
    AppointmentStatus,
    ensure_transition,
)
from caremesh.modules.scheduling.domain.errors import InvalidTransition, SlotInPast, SlotUnavailable, TooEarly
from caremesh.modules.scheduling.domain.slot import Slot, SlotStatus, ensure_bookable, ensure_status_change

NOW = datetime(2025, 6, 2, 12, tzinfo=UTC)
Status = AppointmentStatus


def slot(status: SlotStatus = SlotStatus.FREE, starts_in: timedelta = timedelta(hours=1)) -> Slot:
    return Slot("slot-1", "sch-1", NOW + starts_in, NOW + starts_in + timedelta(minutes=30), status)


def appointment(status: Status = Status.BOOKED, starts_in: timedelta = timedelta(hours=1)) -> Appointment:
    start = NOW + starts_in
    return Appointment(
        id="apt-1",
        slot_id="slot-1",
        schedule_id="sch-1",
        practitioner_id="prac-1",
        patient_id="pat-1",
        status=status,
        start=start,
        end=start + timedelta(minutes=30),
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
        booked_by="user-1",
    )


def test_a_free_future_slot_of_an_active_schedule_is_bookable() -> None:
    ensure_bookable(slot(), schedule_active=True, now=NOW)


@pytest.mark.parametrize("starts_in", [timedelta(0), timedelta(minutes=-5)])
def test_a_slot_that_has_started_is_not_bookable(starts_in: timedelta) -> None:
    with pytest.raises(SlotInPast):
        ensure_bookable(slot(starts_in=starts_in), schedule_active=True, now=NOW)


@pytest.mark.parametrize("status", [SlotStatus.BUSY, SlotStatus.BLOCKED])
def test_a_busy_or_blocked_slot_is_not_bookable(status: SlotStatus) -> None:
    with pytest.raises(SlotUnavailable, match=status.value):
        ensure_bookable(slot(status), schedule_active=True, now=NOW)


def test_a_slot_of_an_inactive_schedule_is_not_bookable() -> None:
    with pytest.raises(SlotUnavailable, match="not active"):
        ensure_bookable(slot(), schedule_active=False, now=NOW)


def test_staff_can_block_a_free_slot_and_unblock_it() -> None:
    ensure_status_change(slot(SlotStatus.FREE), SlotStatus.BLOCKED)
    ensure_status_change(slot(SlotStatus.BLOCKED), SlotStatus.FREE)
    with pytest.raises(SlotUnavailable):
        ensure_status_change(slot(SlotStatus.BUSY), SlotStatus.BLOCKED)
    with pytest.raises(SlotUnavailable):
        ensure_status_change(slot(SlotStatus.BUSY), SlotStatus.FREE)


ALL_PAIRS = [(a, b) for a in Status for b in Status]


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_only_a_booked_appointment_can_change_status(current: Status, target: Status) -> None:
    allowed = current is Status.BOOKED and target is not Status.BOOKED
    assert (target in ALLOWED_TRANSITIONS[current]) is allowed
    if allowed:
        ensure_transition(current, target)
    else:
        with pytest.raises(InvalidTransition):
            ensure_transition(current, target)


def test_cancelling_records_when_and_why() -> None:
    cancelled = appointment().cancel(now=NOW, reason="feeling better")
    assert (cancelled.status, cancelled.cancelled_at, cancelled.cancel_reason) == (
        Status.CANCELLED,
        NOW,
        "feeling better",
    )
    assert cancelled.updated_at == NOW
    with pytest.raises(InvalidTransition):
        cancelled.cancel(now=NOW, reason=None)


@pytest.mark.parametrize("outcome", [Status.FULFILLED, Status.NOSHOW])
def test_an_outcome_is_recorded_once_the_visit_has_started(outcome: Status) -> None:
    with pytest.raises(TooEarly):
        appointment().record_outcome(outcome, now=NOW)
    started = appointment(starts_in=timedelta(minutes=-10))
    assert started.record_outcome(outcome, now=NOW).status is outcome


def test_cancelling_is_not_an_outcome_and_terminal_states_stay_terminal() -> None:
    started = appointment(starts_in=timedelta(minutes=-10))
    with pytest.raises(InvalidTransition):
        started.record_outcome(Status.CANCELLED, now=NOW)
    with pytest.raises(InvalidTransition):
        replace(started, status=Status.NOSHOW).record_outcome(Status.FULFILLED, now=NOW)
