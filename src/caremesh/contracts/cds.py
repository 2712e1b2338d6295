"""Published language of the cds module (clinical decision support: medication safety checks).

The cds module is stateless about the patient: the caller (order entry) sends the patient's
active medications and allergies with the draft, the way a CDS Hooks client sends prefetch.
That keeps the check consistent with the versions order entry records and compares at signing.
"""

from __future__ import annotations

from typing import ClassVar, Literal, Protocol

from caremesh.contracts.base import Dto, command, query

Indicator = Literal["info", "warning", "critical"]


class Coding(Dto):
    system: str  # e.g. "http://www.nlm.nih.gov/research/umls/rxnorm"
    code: str
    display: str | None = None


class DoseAmount(Dto):
    value: float
    unit: str  # UCUM, e.g. "mg"


class MedicationItem(Dto):
    """A medication: a draft order or one the patient already takes."""

    order_id: str | None = None  # the MedicationRequest / order id when known
    medication: Coding
    daily_dose: DoseAmount | None = None  # total per day, when the sig allows computing it
    status: str = "active"
    # Added by cds (optional): "oral", "intravenous", ...; some dose limits apply to one route only.
    route: str | None = None


class AllergyItem(Dto):
    allergy_id: str | None = None
    substance: Coding  # RxNorm ingredient or SNOMED CT substance / drug class
    criticality: Literal["low", "high", "unable-to-assess"] | None = None
    verification: str | None = None  # "confirmed", "unconfirmed", "refuted", "entered-in-error"


class OrderCheckRequest(Dto):
    hook: Literal["order-select", "order-sign"]
    hook_instance: str | None = None  # added by cds (optional): the CDS Hooks call id, for audit
    patient_id: str
    encounter_id: str | None = None
    user_id: str | None = None
    drafts: list[MedicationItem]
    active_medications: list[MedicationItem] = []
    allergies: list[AllergyItem] = []


class Suggestion(Dto):
    label: str
    uuid: str
    is_recommended: bool = False
    actions: list[dict[str, object]] = []


class OverrideReason(Dto):
    code: str
    display: str
    system: str = "https://caremesh.dev/fhir/CodeSystem/cds-override-reason"


class Card(Dto):
    uuid: str
    rule_id: str  # stable id of the knowledge rule that fired
    kind: Literal["drug-drug", "drug-allergy", "duplicate-therapy", "max-dose"]
    indicator: Indicator
    summary: str  # <= 140 characters
    detail: str | None = None
    source_label: str
    source_url: str | None = None
    suggestions: list[Suggestion] = []
    override_reasons: list[OverrideReason] = []
    suppressed: bool = False  # shown already in this encounter and not escalated
    order_id: str | None = None  # added by cds (optional): the draft order the card is about


class Unrecognized(Dto):
    """Added by cds: an item the check could not map to its knowledge, so it was not checked."""

    role: Literal["draft", "active", "allergy"]
    reference: str | None = None  # order id or allergy id when known
    coding: Coding


class OrderCheckResult(Dto):
    cards: list[Card]
    knowledge_version: str  # version of the knowledge files the check used
    # Added by cds (optional): what could not be checked (no known RxNorm ingredient / allergen);
    # a draft listed here had no medication-safety check at all and needs a manual review.
    unrecognized: list[Unrecognized] = []

    @property
    def highest(self) -> Indicator | None:
        live = {card.indicator for card in self.cards if not card.suppressed}
        for indicator in ("critical", "warning", "info"):
            if indicator in live:
                return indicator
        return None


class OverrideRecord(Dto):
    card_uuid: str
    rule_id: str
    patient_id: str
    encounter_id: str | None = None
    user_id: str
    reason_code: str
    comment: str | None = None


class CdsAPI(Protocol):
    """What other modules may ask cds synchronously."""

    module: ClassVar[str] = "cds"
    api_name: ClassVar[str] = "cds"

    @query
    async def check_orders(self, request: OrderCheckRequest) -> OrderCheckResult:
        """Run every medication-safety rule on the drafts against the patient's context."""
        ...

    @command
    async def record_override(self, override: OverrideRecord) -> None:
        """Record that a clinician overrode a card, with the reason (idempotent per card uuid)."""
        ...
