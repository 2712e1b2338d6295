"""Notification lifecycle: statuses, kinds, the appointment notices and their timing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from caremesh.modules.notify.domain.preferences import APPOINTMENT_REMINDERS, APPOINTMENT_UPDATES

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
SKIPPED = "skipped"
CANCELLED = "cancelled"
STATUSES = (PENDING, DELIVERED, FAILED, SKIPPED, CANCELLED)

# Reminders are delivered by their own worker, so a slow scheduling service never delays
# confirmations (a bulkhead between the two queues).
MESSAGE = "message"
REMINDER = "reminder"
KINDS = (MESSAGE, REMINDER)

BOOKED = "booked"  # the appointment status (FHIR Appointment.status) that still wants a reminder


@dataclass(frozen=True)
class Notice:
    template: str
    category: str


CONFIRMATION = Notice("appointment_confirmation", APPOINTMENT_UPDATES)
CANCELLATION = Notice("appointment_cancellation", APPOINTMENT_UPDATES)
REMINDER_NOTICE = Notice("appointment_reminder", APPOINTMENT_REMINDERS)
APPOINTMENT_NOTICES = (CONFIRMATION, CANCELLATION, REMINDER_NOTICE)


def reminder_due(start: datetime, lead: timedelta, now: datetime) -> datetime | None:
    """When to remind of an appointment at ``start``; None when that moment has already passed,
    because the confirmation the patient receives now already serves as the reminder."""
    due = start - lead
    return due if due > now else None


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """An appointment notice is pointless once the appointment has started."""
    return expires_at is not None and now >= expires_at


def reminder_gate(status: str | None) -> str | None:
    """Why a reminder must not go out, given the appointment's current status (None: not found)."""
    if status is None:
        return "appointment-not-found"
    if status != BOOKED:
        return f"appointment-{status}"
    return None


def dedupe_key(appointment_id: str, template: str, channel: str | None) -> str:
    """One notice of a kind per appointment and channel, even if scheduling republishes an event."""
    return f"{appointment_id}:{template}:{channel or '-'}"


@dataclass(frozen=True)
class NewNotification:
    id: str
    patient_id: str
    kind: str
    template: str
    category: str
    channel: str | None
    variables: dict[str, object]
    status: str
    last_error: str | None
    next_attempt_at: datetime | None
    expires_at: datetime | None
    appointment_id: str | None
    dedupe_key: str | None
    created_at: datetime


@dataclass(frozen=True)
class DueNotification:
    """A pending notification claimed by a worker for one delivery attempt."""

    id: str
    patient_id: str
    kind: str
    template: str
    category: str
    channel: str | None
    appointment_id: str | None
    variables: dict[str, object]
    attempts: int  # attempts made before this one
    expires_at: datetime | None
