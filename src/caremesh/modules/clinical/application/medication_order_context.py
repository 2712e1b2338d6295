"""The patient's medication context (allergies, active medications) and the version that guards it.

Every write of an AllergyIntolerance, MedicationRequest or MedicationStatement bumps the patient's
version inside the write's own transaction (the FHIR engine calls its change listener on the
writing connection), so a version names exactly one committed state of that context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from caremesh.contracts.cds import AllergyItem, Coding, DoseAmount, MedicationItem
from caremesh.fhir.changes import ChangeListener, ResourceChange
from caremesh.fhir.engine import FhirEngine
from caremesh.kernel.db.base import Connection
from caremesh.modules.clinical.adapters.medication_order_sql import bump_context, read_context_version
from caremesh.modules.clinical.domain.medication_order import FREQUENCIES, RXNORM

CONTEXT_TYPES = frozenset({"AllergyIntolerance", "MedicationRequest", "MedicationStatement"})
_BASE = "urn:caremesh:internal"
_INACTIVE_ALLERGY = frozenset({"inactive", "resolved"})
_UNTRUSTED_ALLERGY = frozenset({"refuted", "entered-in-error"})


def track_medication_context(inner: ChangeListener) -> ChangeListener:
    """Wrap the clinical module's listener: bump the versions, then publish as before."""

    async def listener(conn: Connection, *changes: ResourceChange) -> None:
        changed: dict[str, list[tuple[str, str]]] = {}
        for change in changes:
            if change.resource_type in CONTEXT_TYPES and change.patient_id:
                changed.setdefault(change.patient_id, []).append((change.resource_type, change.resource_id))
        if changed:
            await bump_context(conn, changed)
        await inner(conn, *changes)

    return listener


@dataclass(frozen=True)
class MedicationContext:
    version: int
    medications: list[MedicationItem]
    allergies: list[AllergyItem]


async def read_medication_context(
    engine: FhirEngine, patient_id: str, *, exclude_order: str
) -> MedicationContext:
    """The version first, the resources after: the data is never older than the version it carries.

    A write landing in between makes the data newer than the version, and the signing
    compare-and-set then forces another check: conservative, never stale.
    """
    async with engine.db.read() as conn:
        version = await read_context_version(conn, patient_id)
    medications = [
        item
        for resource_type in ("MedicationRequest", "MedicationStatement")
        for body in await _search(engine, resource_type, patient_id, [("status", "active")])
        if body.get("id") != exclude_order and (item := medication_item(body)) is not None
    ]
    allergies = [
        allergy
        for body in await _search(engine, "AllergyIntolerance", patient_id, [])
        if (allergy := allergy_item(body)) is not None
    ]
    return MedicationContext(version, medications, allergies)


async def _search(
    engine: FhirEngine, resource_type: str, patient_id: str, params: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    query = [("patient", f"Patient/{patient_id}"), *params, ("_count", "1000")]
    result = await engine.search(resource_type, query, base_url=_BASE)
    return [orjson.loads(match.body) for match in result.matches]


def _coding(concept: dict[str, Any] | None) -> Coding | None:
    codings = (concept or {}).get("coding") or []
    chosen = next((c for c in codings if c.get("system") == RXNORM), codings[0] if codings else None)
    if not chosen or not chosen.get("code"):
        return None
    return Coding(system=chosen.get("system", ""), code=chosen["code"], display=chosen.get("display"))


def medication_item(body: dict[str, Any]) -> MedicationItem | None:
    coding = _coding(body.get("medicationCodeableConcept"))
    if coding is None:
        return None
    return MedicationItem(
        order_id=body.get("id"),
        medication=coding,
        daily_dose=_daily_dose(body),
        status=body.get("status", "active"),
    )


def _daily_dose(body: dict[str, Any]) -> DoseAmount | None:
    dosage = ((body.get("dosageInstruction") or body.get("dosage") or [None])[0]) or {}
    quantity = ((dosage.get("doseAndRate") or [{}])[0]).get("doseQuantity") or {}
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    if "value" not in quantity or repeat.get("periodUnit") != "d":
        code = ((dosage.get("timing") or {}).get("code") or {}).get("text")
        per_day: float | None = FREQUENCIES.get(str(code)) if code else None
    else:
        per_day = float(repeat.get("frequency", 1)) / float(repeat.get("period", 1))
    if "value" not in quantity or not per_day:
        return None
    unit = quantity.get("code") or quantity.get("unit") or ""
    return DoseAmount(value=float(quantity["value"]) * per_day, unit=unit)


def allergy_item(body: dict[str, Any]) -> AllergyItem | None:
    clinical = _first_code(body.get("clinicalStatus"))
    verification = _first_code(body.get("verificationStatus"))
    if clinical in _INACTIVE_ALLERGY or verification in _UNTRUSTED_ALLERGY:
        return None
    coding = _coding(body.get("code"))
    if coding is None:
        return None
    criticality = body.get("criticality")
    return AllergyItem(
        allergy_id=body.get("id"),
        substance=coding,
        criticality=criticality if criticality in ("low", "high", "unable-to-assess") else None,
        verification=verification,
    )


def _first_code(concept: dict[str, Any] | None) -> str | None:
    codings = (concept or {}).get("coding") or []
    return codings[0].get("code") if codings else None
