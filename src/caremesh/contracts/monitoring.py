"""Published language of the monitoring module (remote patient monitoring)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from caremesh.contracts.base import Dto, Event


class AcceptedReading(Dto):
    reading_id: str
    patient_id: str
    device_id: str
    device_type: str  # e.g. "bp-cuff", "glucose-meter"
    kind: str  # "glucose", "blood-pressure", "pulse-oximetry", "weight", "temperature"
    measured_at: datetime
    values: dict[str, float]  # metric -> value in the metric's canonical UCUM unit
    units: dict[str, str]  # metric -> UCUM unit


class ReadingsAccepted(Event):
    """Readings of one patient durably stored by one ingestion batch (EHR sync consumes it)."""

    event_type: ClassVar[str] = "monitoring.ReadingsAccepted"

    batch_id: str
    patient_id: str
    readings: list[AcceptedReading]

    def aggregate_id(self) -> str:
        return self.patient_id
