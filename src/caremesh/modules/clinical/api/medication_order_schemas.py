"""Request bodies and the representation of /v1/medication-orders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from caremesh.modules.clinical.domain.medication_order import FREQUENCIES, MedicationOrder, Override
from caremesh.modules.clinical.domain.medication_order_saga import COMPENSATIONS, FORWARD, saga_state

_ID = r"^[A-Za-z0-9\-.]{1,64}$"
Frequency = Literal["QD", "QAM", "QPM", "QHS", "BID", "TID", "QID", "Q4H", "Q6H", "Q8H", "Q12H", "Q24H"]
assert set(get_args(Frequency)) == set(FREQUENCIES)
Route = Literal["oral", "intravenous", "intramuscular", "subcutaneous", "topical", "inhalation", "rectal"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DoseIn(_Body):
    value: Decimal = Field(gt=0, le=100000, max_digits=12, decimal_places=4)
    unit: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9/.\[\]{}%]+$")


class MedicationIn(_Body):
    code: str = Field(pattern=r"^[0-9]{1,12}$", description="RxNorm concept id")
    display: str | None = Field(None, max_length=200)


class DraftIn(_Body):
    patient_id: str = Field(pattern=_ID)
    encounter_id: str | None = Field(None, pattern=_ID)
    medication: MedicationIn
    dose: DoseIn
    frequency: Frequency
    route: Route
    duration_days: int = Field(ge=1, le=365)


class OverrideIn(_Body):
    rule_id: str = Field(min_length=1, max_length=128)
    reason_code: str = Field(min_length=1, max_length=64)
    comment: str | None = Field(None, max_length=500)


class SignIn(_Body):
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=50)

    def as_overrides(self) -> tuple[Override, ...]:
        return tuple(Override(item.rule_id, item.reason_code, item.comment) for item in self.overrides)


class CancelIn(_Body):
    reason: str | None = Field(None, max_length=500)


def order_json(order: MedicationOrder, steps: dict[str, datetime]) -> dict[str, Any]:
    rx = order.prescription
    return {
        "id": order.id,
        "patient_id": order.patient_id,
        "encounter_id": order.encounter_id,
        "status": order.status,
        "medication": {"code": rx.medication_code, "display": rx.medication_display},
        "dose": {"value": str(rx.dose_value), "unit": rx.dose_unit},
        "frequency": rx.frequency,
        "route": rx.route,
        "duration_days": rx.duration_days,
        "quantity": rx.quantity,
        "interaction_check": order.interaction_check,
        "interaction_check_note": _note(order.interaction_check),
        "checked_context_version": order.checked_version,
        "checked_at": _time(order.checked_at),
        "knowledge_version": order.knowledge_version,
        "alerts": [{**alert.__dict__, "override": _override(order, alert.rule_id)} for alert in order.alerts],
        "ordered_by": order.ordered_by,
        "signed_by": order.signed_by,
        "signed_at": _time(order.signed_at),
        "end_reason": order.end_reason,
        "fhir": f"MedicationRequest/{order.id}",
        "saga": saga_json(order.status, steps),
    }


def _override(order: MedicationOrder, rule_id: str) -> dict[str, Any] | None:
    override = order.override_for(rule_id)
    return None if override is None else {"reason_code": override.reason_code, "comment": override.comment}


def _note(outcome: str) -> str | None:
    return "interaction check unavailable — verify manually" if outcome == "unavailable" else None


def saga_json(status: str, steps: dict[str, datetime]) -> dict[str, Any]:
    names = [*FORWARD, *(name for name in COMPENSATIONS if name in steps)]
    if "rechecked" in steps:
        names.append("rechecked")
    return {
        "state": saga_state(status, steps),
        "steps": [
            {"step": name, "status": "done" if name in steps else "pending", "at": _time(steps.get(name))}
            for name in names
        ],
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
