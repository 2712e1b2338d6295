"""From the published request to the engine's values: ingredients resolved, unusable items listed."""

from __future__ import annotations

from dataclasses import dataclass, field

from caremesh.contracts.cds import AllergyItem, MedicationItem, OrderCheckRequest, Unrecognized
from caremesh.modules.cds.domain.findings import Allergy, Drug
from caremesh.modules.cds.domain.knowledge import Knowledge

IGNORED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
DRAFT_STATUSES = frozenset({"draft"})


@dataclass
class EngineInput:
    drafts: list[Drug] = field(default_factory=list)
    active: list[Drug] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    unrecognized: list[Unrecognized] = field(default_factory=list)


def engine_input(kb: Knowledge, request: OrderCheckRequest) -> EngineInput:
    result = EngineInput()
    for index, item in enumerate(request.drafts):
        drug = _drug(kb, item, f"draft-{index}", draft=True)
        result.drafts.append(drug)
        if not drug.ingredients:
            result.unrecognized.append(
                Unrecognized(role="draft", reference=item.order_id, coding=item.medication)
            )
    for index, item in enumerate(request.active_medications):
        drug = _drug(kb, item, f"active-{index}", draft=item.status in DRAFT_STATUSES)
        result.active.append(drug)
        if not drug.ingredients:
            result.unrecognized.append(
                Unrecognized(role="active", reference=item.order_id, coding=item.medication)
            )
    for index, allergy_item in enumerate(request.allergies):
        if allergy_item.verification in IGNORED_VERIFICATION:
            continue
        allergy = _allergy(kb, allergy_item, f"allergy-{index}")
        if allergy.ingredients or allergy.classes:
            result.allergies.append(allergy)
        else:
            result.unrecognized.append(
                Unrecognized(role="allergy", reference=allergy_item.allergy_id, coding=allergy_item.substance)
            )
    return result


def _drug(kb: Knowledge, item: MedicationItem, fallback_ref: str, *, draft: bool) -> Drug:
    coding = item.medication
    ingredients = kb.ingredients_for(coding.system, coding.code, coding.display)
    label = coding.display or " / ".join(kb.name(rxcui) for rxcui in sorted(ingredients)) or coding.code
    return Drug(
        ref=item.order_id or fallback_ref,
        label=label,
        ingredients=ingredients,
        draft=draft,
        order_id=item.order_id,
        daily_dose=None if item.daily_dose is None else item.daily_dose.value,
        dose_unit=None if item.daily_dose is None else item.daily_dose.unit,
        route=item.route,
    )


def _allergy(kb: Knowledge, item: AllergyItem, fallback_ref: str) -> Allergy:
    coding = item.substance
    target = kb.allergen_for(coding.system, coding.code, coding.display)
    named = [kb.name(rxcui) for rxcui in sorted(target.ingredients)]
    named += [kb.classes[class_id].name.lower() for class_id in sorted(target.classes)]
    return Allergy(
        ref=item.allergy_id or fallback_ref,
        label=coding.display or ", ".join(named) or coding.code,
        ingredients=target.ingredients,
        classes=target.classes,
        high_criticality=item.criticality == "high",
        unconfirmed=item.verification not in (None, "confirmed"),
    )
