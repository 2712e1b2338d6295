"""Synthetic Bundles for the batch and transaction tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import orjson
from tests.integration.fhir.rest.fhir_rest_harness import FHIR_JSON, FhirApp

SYSTEM = "urn:oid:2.16.840.1.113883.19.5"


def urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def entry(method: str, url: str, resource: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    request = {"method": method, "url": url, **{k: v for k, v in extra.items() if k != "fullUrl"}}
    found: dict[str, Any] = {"request": request}
    if "fullUrl" in extra:
        found["fullUrl"] = extra["fullUrl"]
    if resource is not None:
        found["resource"] = resource
    return found


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def patient(value: str, family: str = "Testperson") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": SYSTEM, "value": value}],
        "name": [{"family": family, "given": ["Synthetic"]}],
    }


def encounter(subject: str) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": subject},
    }


def observation(subject: str, encounter_ref: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": subject},
    }
    if encounter_ref:
        found["encounter"] = {"reference": encounter_ref}
    return found


async def post_bundle(fhir: FhirApp, body: dict[str, Any] | bytes, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return await fhir.client.post("/fhir/R4", content=content, headers={"content-type": FHIR_JSON, **headers})


async def count(fhir: FhirApp, resource_type: str) -> int:
    async with fhir.db.read() as conn:
        return int(await conn.fetchval(
            "SELECT COUNT(*) FROM fhir_resource WHERE res_type = $1 AND deleted = 0", resource_type
        ))  # fmt: skip
