"""Demo patients whose draft orders raise each kind of CDS alert (synthetic people, real codes).

The codes match the cds module's knowledge files (modules/cds/adapters/knowledge/): a penicillin
allergy against amoxicillin, warfarin with ibuprofen, two NSAIDs, an acetaminophen dose above
4 g/day, and a clean metformin order. Idempotent: a patient that already has orders is skipped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from caremesh.modules.clinical.adapters import medication_order_sql as sql
from caremesh.modules.clinical.application import medication_orders as orders
from caremesh.modules.clinical.application.medication_orders_deps import OrderEntryDeps
from caremesh.modules.clinical.domain.medication_order import RXNORM, Prescription

SNOMED = "http://snomed.info/sct"
_TERMS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-"
# patient id -> (expected alert kind, background resources, draft order)
SCENARIOS: dict[str, tuple[str, list[dict[str, Any]], Prescription]] = {
    "demo-rx-allergy": (
        "drug-allergy",
        [{"allergy": (SNOMED, "764146007", "Penicillin (substance)")}],
        Prescription("723", "amoxicillin", Decimal("500"), "mg", "TID", "oral", 7),
    ),
    "demo-rx-interaction": (
        "drug-drug",
        [{"medication": ("11289", "warfarin", 5, "QD")}],
        Prescription("5640", "ibuprofen", Decimal("400"), "mg", "TID", "oral", 5),
    ),
    "demo-rx-duplicate": (
        "duplicate-therapy",
        [{"medication": ("5640", "ibuprofen", 400, "TID")}],
        Prescription("7258", "naproxen", Decimal("500"), "mg", "BID", "oral", 5),
    ),
    "demo-rx-max-dose": (
        "max-dose",
        [],
        Prescription("161", "acetaminophen", Decimal("1500"), "mg", "QID", "oral", 3),
    ),
    "demo-rx-clear": ("none", [], Prescription("6809", "metformin", Decimal("500"), "mg", "BID", "oral", 30)),
}


def _patient(patient_id: str) -> dict[str, Any]:
    family = patient_id.removeprefix("demo-rx-").replace("-", " ").title().replace(" ", "")
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "name": [{"family": f"Demo{family}", "given": ["Synthetic"]}],
        "gender": "unknown",
        "birthDate": "1960-01-01",
    }


def _background(patient_id: str, item: dict[str, Any]) -> dict[str, Any]:
    subject = {"reference": f"Patient/{patient_id}"}
    if "allergy" in item:
        system, code, display = item["allergy"]
        return {
            "resourceType": "AllergyIntolerance",
            "patient": subject,
            "code": {"coding": [{"system": system, "code": code, "display": display}]},
            "clinicalStatus": {"coding": [{"system": _TERMS + "clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{"system": _TERMS + "verification", "code": "confirmed"}]},
            "criticality": "high",
        }
    code, display, dose, frequency = item["medication"]
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": subject,
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": display}]},
        "dosageInstruction": [
            {
                "timing": {"code": {"text": frequency}},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose,
                            "unit": "mg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg",
                        }
                    }
                ],
            }
        ],
    }


async def load_orders_demo(deps: OrderEntryDeps) -> dict[str, Any]:
    created: dict[str, dict[str, str]] = {}
    for patient_id, (kind, background, prescription) in SCENARIOS.items():
        async with deps.db.read() as conn:
            if await sql.orders_of_patient(conn, patient_id, 1):
                continue
        engine = deps.engine
        await engine.update("Patient", patient_id, orjson.dumps(_patient(patient_id)))
        for item in background:
            resource = _background(patient_id, item)
            await engine.create(resource["resourceType"], orjson.dumps(resource))
        draft = await orders.create_draft(
            deps, orders.DraftRequest(patient_id, None, prescription, "demo-prescriber")
        )
        created[patient_id] = {"order": draft.id, "expected_alert": kind}
    return {"medication_order_demos": created}
