"""JSON representations of schedules, slots and appointments (UTC timestamps, ISO 8601)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from caremesh.modules.scheduling.domain.appointment import Appointment
from caremesh.modules.scheduling.domain.schedule import Schedule
from caremesh.modules.scheduling.domain.slot import Slot


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "practitioner_id": schedule.practitioner_id,
        "service_type": schedule.service_type,
        "timezone": schedule.timezone,
        "location": schedule.location,
        "active": schedule.active,
        "created_at": _iso(schedule.created_at),
    }


def slot_json(slot: Slot) -> dict[str, Any]:
    return {
        "id": slot.id,
        "schedule_id": slot.schedule_id,
        "start": _iso(slot.start),
        "end": _iso(slot.end),
        "status": slot.status.value,
    }


def appointment_json(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": appointment.id,
        "status": appointment.status.value,
        "patient_id": appointment.patient_id,
        "slot_id": appointment.slot_id,
        "schedule_id": appointment.schedule_id,
        "practitioner_id": appointment.practitioner_id,
        "location": appointment.location,
        "service_type": appointment.service_type,
        "reason": appointment.reason,
        "start": _iso(appointment.start),
        "end": _iso(appointment.end),
        "created_at": _iso(appointment.created_at),
        "updated_at": _iso(appointment.updated_at),
        "cancelled_at": _iso(appointment.cancelled_at),
        "cancel_reason": appointment.cancel_reason,
    }


def page_json(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
