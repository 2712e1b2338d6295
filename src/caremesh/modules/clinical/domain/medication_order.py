"""A medication order and its life: draft → checked → signed → verified → dispensed, or cancelled / rejected.

The order remembers the medication-context version (the patient's allergies and medications) its
interaction check saw; signing is allowed only against that exact version (see application.signing).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from caremesh.modules.clinical.domain.medication_order_errors import OrderStateError

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# Doses per day for the usual sig abbreviations (HL7 TimingAbbreviation).
FREQUENCIES = {
    "QD": 1,
    "QAM": 1,
    "QPM": 1,
    "QHS": 1,
    "BID": 2,
    "TID": 3,
    "QID": 4,
    "Q4H": 6,
    "Q6H": 4,
    "Q8H": 3,
    "Q12H": 2,
    "Q24H": 1,
}
ROUTES = frozenset(
    {"oral", "intravenous", "intramuscular", "subcutaneous", "topical", "inhalation", "rectal"}
)

DRAFT, CHECKED, SIGNED, VERIFIED, DISPENSED = "draft", "checked", "signed", "verified", "dispensed"
CANCELLED, REJECTED = "cancelled", "rejected"
SIGNABLE = frozenset({DRAFT, CHECKED})
AT_PHARMACY = frozenset({SIGNED, VERIFIED, DISPENSED})
ENDED = frozenset({CANCELLED, REJECTED})
NOT_RUN, COMPLETED, UNAVAILABLE = "not-run", "completed", "unavailable"
LIVE_INDICATORS = frozenset({"warning", "critical"})


@dataclass(frozen=True)
class Alert:
    rule_id: str
    kind: str
    indicator: str
    summary: str
    card_uuid: str = ""
    detail: str | None = None
    suppressed: bool = False  # CDS showed it already in this encounter; it still needs an override

    @property
    def needs_override(self) -> bool:
        return self.indicator in LIVE_INDICATORS


@dataclass(frozen=True)
class Override:
    rule_id: str
    reason_code: str
    comment: str | None = None


@dataclass(frozen=True)
class Prescription:
    medication_code: str
    medication_display: str | None
    dose_value: Decimal
    dose_unit: str
    frequency: str
    route: str
    duration_days: int

    @property
    def doses_per_day(self) -> int:
        return FREQUENCIES[self.frequency]

    @property
    def daily_dose(self) -> Decimal:
        return self.dose_value * self.doses_per_day

    @property
    def quantity(self) -> int:
        return self.doses_per_day * self.duration_days


@dataclass(frozen=True)
class MedicationOrder:
    id: str
    patient_id: str
    encounter_id: str | None
    prescription: Prescription
    ordered_by: str
    created_at: datetime
    updated_at: datetime
    status: str = DRAFT
    interaction_check: str = NOT_RUN
    checked_version: int | None = None
    checked_at: datetime | None = None
    knowledge_version: str | None = None
    alerts: tuple[Alert, ...] = ()
    overrides: tuple[Override, ...] = ()
    overrides_pending: bool = False
    signed_by: str | None = None
    signed_at: datetime | None = None
    end_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def record_check(
        self, version: int, alerts: tuple[Alert, ...] | None, knowledge: str | None, now: datetime
    ) -> MedicationOrder:
        """``alerts`` None means CDS could not answer: the order is flagged, never silently passed."""
        if self.status not in SIGNABLE:
            raise OrderStateError(f"a {self.status} order cannot be checked")
        outcome = UNAVAILABLE if alerts is None else COMPLETED
        return replace(
            self,
            status=CHECKED,
            interaction_check=outcome,
            checked_version=version,
            checked_at=now,
            knowledge_version=knowledge,
            alerts=alerts or (),
            updated_at=now,
        )

    def missing_overrides(self, overrides: tuple[Override, ...]) -> list[Alert]:
        given = {override.rule_id for override in overrides}
        return [alert for alert in self.alerts if alert.needs_override and alert.rule_id not in given]

    def sign(self, user: str, overrides: tuple[Override, ...], now: datetime) -> MedicationOrder:
        if self.status not in SIGNABLE or self.checked_version is None:
            raise OrderStateError(f"a {self.status} order cannot be signed")
        if self.missing_overrides(overrides):
            raise OrderStateError("every warning or critical alert needs an override reason")
        live = {alert.rule_id for alert in self.alerts if alert.needs_override}
        kept = tuple(override for override in overrides if override.rule_id in live)
        return replace(
            self,
            status=SIGNED,
            signed_by=user,
            signed_at=now,
            overrides=kept,
            overrides_pending=bool(kept),
            updated_at=now,
        )

    def attach_recheck(self, alerts: tuple[Alert, ...], knowledge: str, now: datetime) -> MedicationOrder:
        return replace(
            self,
            interaction_check=COMPLETED,
            alerts=alerts,
            knowledge_version=knowledge,
            checked_at=now,
            updated_at=now,
        )

    def advance(self, status: str, now: datetime) -> MedicationOrder:
        """Follow the pharmacy (verified, dispensed); late or repeated news changes nothing."""
        order = (SIGNED, VERIFIED, DISPENSED)
        if self.status not in order or order.index(status) <= order.index(self.status):
            return self
        return replace(self, status=status, updated_at=now)

    def end(self, status: str, reason: str | None, now: datetime) -> MedicationOrder:
        if self.status in ENDED:
            return self
        return replace(self, status=status, end_reason=reason, updated_at=now)

    @property
    def fhir_status(self) -> str:
        if self.status in ENDED:
            return "cancelled"
        return "active" if self.status in AT_PHARMACY else "draft"

    def alert_for(self, rule_id: str) -> Alert | None:
        return next((alert for alert in self.alerts if alert.rule_id == rule_id), None)

    def override_for(self, rule_id: str) -> Override | None:
        return next((override for override in self.overrides if override.rule_id == rule_id), None)


def new_alerts(
    previous: tuple[Alert, ...], current: tuple[Alert, ...], acknowledged: set[str]
) -> list[Alert]:
    """Warning/critical alerts the prescriber has not seen: not in the last check, not overridden,
    not shown earlier in the encounter (CDS marks those suppressed)."""
    seen = {alert.rule_id for alert in previous} | acknowledged
    return [
        alert
        for alert in current
        if alert.needs_override and not alert.suppressed and alert.rule_id not in seen
    ]
