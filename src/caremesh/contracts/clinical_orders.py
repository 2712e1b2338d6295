"""Published language of order entry in the clinical module (medication orders and their saga).

Order entry orchestrates nothing by command: it publishes what happened to an order, pharmacy and
billing react, and order entry records their events as the saga's steps (docs/clinical-safety.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from caremesh.contracts.base import Dto, Event

InteractionCheck = Literal["completed", "unavailable"]


class OrderAlert(Dto):
    """One CDS card the order was signed with (or re-checked against), and its override if any."""

    rule_id: str
    kind: str
    indicator: Literal["info", "warning", "critical"]
    summary: str
    override_reason: str | None = None


class MedicationOrderSigned(Event):
    event_type: ClassVar[str] = "clinical.MedicationOrderSigned"

    order_id: str
    patient_id: str
    encounter_id: str | None = None
    medication_code: str  # RxNorm
    medication_display: str | None = None
    dose_value: str  # decimal as text: the number the prescriber wrote
    dose_unit: str
    frequency: str
    doses_per_day: int
    route: str
    duration_days: int
    quantity: int  # doses for the whole course
    signed_by: str
    signed_at: datetime
    interaction_check: InteractionCheck
    alerts: list[OrderAlert] = []

    def aggregate_id(self) -> str:
        return self.order_id


class MedicationOrderCancelled(Event):
    """A signed order was cancelled by the prescriber: pharmacy and billing undo what they did."""

    event_type: ClassVar[str] = "clinical.MedicationOrderCancelled"

    order_id: str
    patient_id: str
    reason: str | None = None
    cancelled_at: datetime

    def aggregate_id(self) -> str:
        return self.order_id


class MedicationOrderRechecked(Event):
    """An order signed while CDS was unavailable got its interaction check afterwards."""

    event_type: ClassVar[str] = "clinical.MedicationOrderRechecked"

    order_id: str
    patient_id: str
    alerts: list[OrderAlert] = []
    checked_at: datetime

    def aggregate_id(self) -> str:
        return self.order_id
