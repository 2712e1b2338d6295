"""Appointments and their lifecycle: booked, then cancelled, fulfilled or marked a no-show."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from caremesh.modules.scheduling.domain.errors import InvalidTransition, TooEarly


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    FULFILLED = "fulfilled"
    NOSHOW = "noshow"


ALLOWED_TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.BOOKED: frozenset(
        {AppointmentStatus.CANCELLED, AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW}
    ),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.FULFILLED: frozenset(),
    AppointmentStatus.NOSHOW: frozenset(),
}

# An outcome describes what happened at the visit, so it cannot be known before the visit starts.
OUTCOMES = frozenset({AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW})


def ensure_transition(current: AppointmentStatus, target: AppointmentStatus) -> None:
    if target not in ALLOWED_TRANSITIONS[current]:
        raise InvalidTransition(f"a {current.value} appointment cannot become {target.value}")


@dataclass(frozen=True)
class Appointment:
    id: str
    slot_id: str
    schedule_id: str
    practitioner_id: str
    patient_id: str
    status: AppointmentStatus
    start: datetime
    end: datetime
    created_at: datetime
    updated_at: datetime
    booked_by: str
    location: str | None = None
    service_type: str | None = None
    reason: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None

    def cancel(self, *, now: datetime, reason: str | None) -> Appointment:
        ensure_transition(self.status, AppointmentStatus.CANCELLED)
        return replace(
            self, status=AppointmentStatus.CANCELLED, cancelled_at=now, cancel_reason=reason, updated_at=now
        )

    def record_outcome(self, outcome: AppointmentStatus, *, now: datetime) -> Appointment:
        if outcome not in OUTCOMES:
            raise InvalidTransition(f"{outcome.value} is not an outcome of a visit")
        ensure_transition(self.status, outcome)
        if now < self.start:
            raise TooEarly("an outcome can only be recorded once the appointment has started")
        return replace(self, status=outcome, updated_at=now)
