"""A CDS Hooks 2.0 order-select / order-sign request turned into the published check request.

The service never calls back to a FHIR server (``fhirServer`` is ignored): the medications and
allergies must come as prefetch. A missing prefetch key means the client did not or could not
fetch it; the spec's answer is 412, because checking without the allergy list would be unsafe.
"""

from __future__ import annotations

from typing import Any

from caremesh.contracts.cds import (
    AllergyItem,
    Coding,
    DoseAmount,
    MedicationItem,
    OrderCheckRequest,
)
from caremesh.kernel.errors import CaremeshError, InvalidRequest
from caremesh.modules.cds.application.dosage import daily_dose, route_of
from caremesh.modules.cds.domain.knowledge import RXNORM

REQUIRED_PREFETCH = ("medications", "allergies")
CURRENT_STATUSES = frozenset({"active", "on-hold", "draft"})
INACTIVE_ALLERGY = frozenset({"inactive", "resolved"})


class PrefetchMissing(CaremeshError):
    status = 412
    code = "prefetch-missing"


def check_request(hook: str, body: Any) -> OrderCheckRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("the CDS Hooks request must be a JSON object")
    if body.get("hook") != hook:
        raise InvalidRequest(f"this service answers the {hook} hook, not {body.get('hook')!r}")
    instance = body.get("hookInstance")
    if not isinstance(instance, str) or not instance:
        raise InvalidRequest("hookInstance is required")
    context = _object(body.get("context"), "context")
    patient_id = _text(context.get("patientId"), "context.patientId")
    user_id = _text(context.get("userId"), "context.userId")
    encounter_id = context.get("encounterId")
    drafts, others = _draft_orders(hook, context, patient_id)
    prefetch = _prefetch(body.get("prefetch"))
    draft_ids = {draft.order_id for draft in drafts}
    # The client's active list may already hold the order being signed: it is not its own duplicate.
    active = [
        m
        for m in _medications(prefetch["medications"], patient_id, "prefetch.medications")
        if m.order_id not in draft_ids
    ]
    return OrderCheckRequest(
        hook="order-select" if hook == "order-select" else "order-sign",
        hook_instance=instance,
        patient_id=patient_id,
        encounter_id=encounter_id if isinstance(encounter_id, str) and encounter_id else None,
        user_id=user_id,
        drafts=drafts,
        active_medications=[*others, *active],
        allergies=_allergies(prefetch["allergies"], patient_id),
    )


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{where} must be a JSON object")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{where} is required")
    return value


def _draft_orders(
    hook: str, context: dict[str, Any], patient_id: str
) -> tuple[list[MedicationItem], list[MedicationItem]]:
    """The orders to check and the other unsigned orders beside them (order-select: not selected)."""
    bundle = _object(context.get("draftOrders"), "context.draftOrders")
    orders = list(_medications(bundle, patient_id, "context.draftOrders", statuses=None))
    if hook != "order-select":
        if not orders:
            raise InvalidRequest("context.draftOrders has no MedicationRequest to check")
        return orders, []
    selections = context.get("selections")
    if not isinstance(selections, list) or not selections:
        raise InvalidRequest("context.selections is required for order-select")
    selected_ids = {str(ref).split("/")[-1] for ref in selections}
    chosen = [order for order in orders if order.order_id in selected_ids]
    if not chosen:
        raise InvalidRequest("context.selections names no MedicationRequest of context.draftOrders")
    others = [order.model_copy(update={"status": "draft"}) for order in orders if order not in chosen]
    return chosen, others


def _prefetch(value: Any) -> dict[str, Any]:
    prefetch = value if isinstance(value, dict) else {}
    missing = [key for key in REQUIRED_PREFETCH if key not in prefetch or _is_outcome(prefetch[key])]
    if missing:
        raise PrefetchMissing(
            f"prefetch {', '.join(missing)} missing: this service does not query FHIR servers itself",
            details={"missing": missing},
        )
    return {key: prefetch[key] for key in REQUIRED_PREFETCH}


def _is_outcome(value: Any) -> bool:
    # CDS Hooks 2.0 lets a client send an OperationOutcome when prefetching failed.
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _resources(bundle: Any, resource_type: str, where: str) -> list[dict[str, Any]]:
    if bundle is None:  # null prefetch: the client found no data
        return []
    if not isinstance(bundle, dict) or bundle.get("resourceType") not in ("Bundle", resource_type):
        raise InvalidRequest(f"{where} must be a FHIR Bundle")
    if bundle.get("resourceType") == resource_type:
        return [bundle]
    entries = bundle.get("entry", []) or []
    resources = [e.get("resource") for e in entries if isinstance(e, dict)]
    return [r for r in resources if isinstance(r, dict) and r.get("resourceType") == resource_type]


def _check_patient(resource: dict[str, Any], field: str, patient_id: str, where: str) -> None:
    reference = (resource.get(field) or {}).get("reference")
    if (
        isinstance(reference, str)
        and reference.split("/")[-1] != patient_id
        and not reference.startswith("urn:")
    ):
        raise InvalidRequest(f"{where} holds a resource of another patient ({field} {reference!r})")


def _medications(
    bundle: Any, patient_id: str, where: str, statuses: frozenset[str] | None = CURRENT_STATUSES
) -> list[MedicationItem]:
    items = []
    for resource in _resources(bundle, "MedicationRequest", where):
        _check_patient(resource, "subject", patient_id, where)
        status = str(resource.get("status", "active"))
        if statuses is not None and status not in statuses:
            continue
        items.append(_medication(resource, status, where))
    return items


def _medication(resource: dict[str, Any], status: str, where: str) -> MedicationItem:
    coding = _medication_coding(resource)
    if coding is None:
        raise InvalidRequest(
            f"{where}: MedicationRequest {resource.get('id')!r} has no medication code or text"
        )
    instructions = [i for i in resource.get("dosageInstruction", []) or [] if isinstance(i, dict)]
    dose = daily_dose(instructions)
    return MedicationItem(
        order_id=resource.get("id"),
        medication=coding,
        daily_dose=None if dose is None else DoseAmount(value=dose[0], unit=dose[1]),
        status=status,
        route=route_of(instructions),
    )


def _medication_coding(resource: dict[str, Any]) -> Coding | None:
    concept = resource.get("medicationCodeableConcept")
    if concept is None:
        concept = _contained_medication_code(resource)
    if not isinstance(concept, dict):
        return None
    return _best_coding(concept, prefer=RXNORM)


def _contained_medication_code(resource: dict[str, Any]) -> Any:
    reference = (resource.get("medicationReference") or {}).get("reference", "")
    for contained in resource.get("contained", []) or []:
        if isinstance(contained, dict) and f"#{contained.get('id')}" == reference:
            return contained.get("code")
    return None


def _best_coding(concept: dict[str, Any], prefer: str) -> Coding | None:
    codings = [c for c in concept.get("coding", []) or [] if isinstance(c, dict) and c.get("code")]
    codings.sort(key=lambda c: c.get("system") != prefer)
    text = concept.get("text")
    if codings:
        first = codings[0]
        return Coding(
            system=str(first.get("system", "")), code=str(first["code"]), display=first.get("display") or text
        )
    return Coding(system="", code="", display=text) if isinstance(text, str) and text else None


def _allergies(bundle: Any, patient_id: str) -> list[AllergyItem]:
    items = []
    for resource in _resources(bundle, "AllergyIntolerance", "prefetch.allergies"):
        _check_patient(resource, "patient", patient_id, "prefetch.allergies")
        clinical = _status_code(resource.get("clinicalStatus"))
        categories = resource.get("category")
        if clinical in INACTIVE_ALLERGY or (isinstance(categories, list) and "medication" not in categories):
            continue  # inactive, or a food/environment allergy: not a medication check
        coding = _best_coding(resource.get("code") or {}, prefer="http://snomed.info/sct")
        if coding is None:
            continue  # no substance at all: nothing to check against
        criticality = resource.get("criticality")
        items.append(
            AllergyItem(
                allergy_id=resource.get("id"),
                substance=coding,
                criticality=criticality if criticality in ("low", "high", "unable-to-assess") else None,
                verification=_status_code(resource.get("verificationStatus")),
            )
        )
    return items


def _status_code(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    for coding in concept.get("coding", []) or []:
        if isinstance(coding, dict) and coding.get("code"):
            return str(coding["code"])
    return None
