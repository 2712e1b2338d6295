"""Published language of the monitoring module (remote patient monitoring)."""

from __future__ import annotations

from datetime import date, datetime
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


# --- Alerting and the RPM programme (alerts, escalation, billing charges) ---


class AlertRaised(Event):
    """A new alert for a patient, or an active one that became more severe; notify tells the care team.

    ``staff_id`` is the first member of the patient's care team (None: the patient has no care team
    yet, the alert is on the dashboard only). ``value`` is the offending value in the metric's
    canonical unit (for weight-gain trends the gain in kg, for missing data the hours without one).
    """

    event_type: ClassVar[str] = "monitoring.AlertRaised"

    alert_id: str
    patient_id: str
    rule_id: str
    category: str  # "threshold", "trend", "drift" or "missing-data"
    severity: str  # "low", "warning" or "critical"
    metric: str | None
    value: float | None
    observed_at: datetime
    raised_at: datetime
    reason: str  # "new" or "severity-increased"
    staff_id: str | None

    def aggregate_id(self) -> str:
        return self.alert_id


class AlertEscalated(Event):
    """An alert stayed unacknowledged too long: the next member of the care team is told."""

    event_type: ClassVar[str] = "monitoring.AlertEscalated"

    alert_id: str
    patient_id: str
    rule_id: str
    severity: str
    level: int  # 1 for the second care-team member, 2 for the third, ...
    staff_id: str
    role: str
    raised_at: datetime
    escalated_at: datetime

    def aggregate_id(self) -> str:
        return self.alert_id


class RpmServiceEarned(Event):
    """A billable RPM service unit was earned (CPT 99454, 99457 or 99458); produced once per unit."""

    event_type: ClassVar[str] = "monitoring.RpmServiceEarned"

    charge_id: str  # "<patient>|<cpt>|<period start>|<sequence>", stable across re-evaluation
    patient_id: str
    cpt_code: str
    period_start: date
    period_end: date  # inclusive
    sequence: int  # 1, or the n-th additional 20-minute block for 99458
    earned_at: datetime

    def aggregate_id(self) -> str:
        return self.patient_id
