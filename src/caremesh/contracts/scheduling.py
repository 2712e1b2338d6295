"""Published language of the scheduling module (schedules, slots, appointments)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol

from caremesh.contracts.base import Dto, Event, query


class AppointmentBooked(Event):
    event_type: ClassVar[str] = "scheduling.AppointmentBooked"

    appointment_id: str
    patient_id: str
    schedule_id: str
    slot_id: str
    practitioner_id: str
    start: datetime
    end: datetime
    service_type: str | None = None

    def aggregate_id(self) -> str:
        return self.appointment_id


class AppointmentCancelled(Event):
    event_type: ClassVar[str] = "scheduling.AppointmentCancelled"

    appointment_id: str
    patient_id: str
    slot_id: str
    start: datetime
    reason: str | None = None
    cancelled_at: datetime

    def aggregate_id(self) -> str:
        return self.appointment_id


class AppointmentView(Dto):
    id: str
    status: str
    patient_id: str
    schedule_id: str
    slot_id: str
    practitioner_id: str
    location: str | None = None
    service_type: str | None = None
    start: datetime
    end: datetime
    created_at: datetime


class SchedulingAPI(Protocol):
    """What other modules may ask scheduling synchronously."""

    module: ClassVar[str] = "scheduling"
    api_name: ClassVar[str] = "scheduling"

    @query
    async def get_appointment(self, appointment_id: str) -> AppointmentView | None: ...

    @query
    async def list_patient_appointments(self, patient_id: str) -> list[AppointmentView]:
        """Every appointment of the patient (any status), oldest start first."""
        ...
