"""Each medication order is also a FHIR MedicationRequest in the clinical store, written in the same
transaction as the order row, so FHIR clients (and the next interaction check) see it at once."""

from __future__ import annotations

from typing import Any

import orjson

from caremesh.fhir.engine import FhirEngine
from caremesh.kernel.db.base import Connection
from caremesh.modules.clinical.domain.medication_order import RXNORM, MedicationOrder

ORDER_IDENTIFIER = "https://caremesh.dev/fhir/sid/medication-order"
UCUM = "http://unitsofmeasure.org"
INTERACTION_CHECK_EXTENSION = "https://caremesh.dev/fhir/StructureDefinition/interaction-check"


def medication_request(order: MedicationOrder) -> dict[str, Any]:
    rx = order.prescription
    medication: dict[str, Any] = {"system": RXNORM, "code": rx.medication_code}
    if rx.medication_display:
        medication["display"] = rx.medication_display
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": order.id,
        "extension": [{"url": INTERACTION_CHECK_EXTENSION, "valueCode": order.interaction_check}],
        "identifier": [{"system": ORDER_IDENTIFIER, "value": order.id}],
        "status": order.fhir_status,
        "intent": "order",
        "medicationCodeableConcept": {"coding": [medication]},
        "subject": {"reference": f"Patient/{order.patient_id}"},
        "authoredOn": order.created_at.isoformat(),
        "dosageInstruction": [_dosage(order)],
        "dispenseRequest": {
            "quantity": {"value": rx.quantity},
            "expectedSupplyDuration": {
                "value": rx.duration_days,
                "unit": "days",
                "system": UCUM,
                "code": "d",
            },
        },
    }
    if order.encounter_id:
        resource["encounter"] = {"reference": f"Encounter/{order.encounter_id}"}
    if order.signed_by:
        resource["requester"] = {"display": order.signed_by}
    if order.end_reason and order.fhir_status == "cancelled":
        resource["statusReason"] = {"text": order.end_reason[:500]}
    return resource


def _dosage(order: MedicationOrder) -> dict[str, Any]:
    rx = order.prescription
    return {
        "text": f"{rx.dose_value} {rx.dose_unit} {rx.route} {rx.frequency} for {rx.duration_days} days",
        "timing": {
            "repeat": {"frequency": rx.doses_per_day, "period": 1, "periodUnit": "d"},
            "code": {"text": rx.frequency},
        },
        "route": {"text": rx.route},
        "doseAndRate": [
            {
                "doseQuantity": {
                    "value": float(rx.dose_value),
                    "unit": rx.dose_unit,
                    "system": UCUM,
                    "code": rx.dose_unit,
                }
            }
        ],
    }


async def write_medication_request(
    conn: Connection, engine: FhirEngine, order: MedicationOrder, *, new: bool
) -> None:
    body = orjson.dumps(medication_request(order))
    if new:
        incoming = engine.intake.for_create(body, "MedicationRequest")
        await engine.writer.put(conn, incoming, order.id, method="POST", if_match=None, fresh=True)
    else:
        incoming = engine.intake.for_update(body, "MedicationRequest", order.id)
        await engine.writer.put(conn, incoming, order.id, method="PUT", if_match=None)
