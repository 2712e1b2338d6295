"""The published events of an appointment's state changes."""

from __future__ import annotations

from caremesh.contracts.scheduling import AppointmentBooked, AppointmentCancelled, AppointmentView
from caremesh.modules.scheduling.domain.appointment import Appointment


def booked(appointment: Appointment) -> AppointmentBooked:
    return AppointmentBooked(
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        schedule_id=appointment.schedule_id,
        slot_id=appointment.slot_id,
        practitioner_id=appointment.practitioner_id,
        start=appointment.start,
        end=appointment.end,
        service_type=appointment.service_type,
    )


def cancelled(appointment: Appointment) -> AppointmentCancelled:
    assert appointment.cancelled_at is not None
    return AppointmentCancelled(
        appointment_id=appointment.id,
        patient_id=appointment.patient_id,
        slot_id=appointment.slot_id,
        start=appointment.start,
        reason=appointment.cancel_reason,
        cancelled_at=appointment.cancelled_at,
    )


def view(appointment: Appointment) -> AppointmentView:
    return AppointmentView(
        id=appointment.id,
        status=appointment.status.value,
        patient_id=appointment.patient_id,
        schedule_id=appointment.schedule_id,
        slot_id=appointment.slot_id,
        practitioner_id=appointment.practitioner_id,
        location=appointment.location,
        service_type=appointment.service_type,
        start=appointment.start,
        end=appointment.end,
        created_at=appointment.created_at,
    )
