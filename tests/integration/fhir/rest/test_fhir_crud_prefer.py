"""``Prefer: return=minimal|representation|OperationOutcome`` on every write."""

from __future__ import annotations

import httpx
from fhir_rest_harness import FhirApp, patient


def _is_outcome(response: httpx.Response) -> bool:
    body = response.json()
    return body["resourceType"] == "OperationOutcome" and body["issue"][0]["severity"] == "information"


async def test_create_honours_each_return_preference(fhir: FhirApp) -> None:
    minimal = await fhir.post("Patient", patient(), prefer="return=minimal")
    outcome = await fhir.post("Patient", patient(), prefer="return=OperationOutcome")
    representation = await fhir.post("Patient", patient(), prefer="return=representation")
    assert minimal.status_code == 201 and minimal.content == b""
    assert minimal.headers["location"] and minimal.headers["etag"] == 'W/"1"'
    assert outcome.status_code == 201 and _is_outcome(outcome)
    assert "created Patient/" in outcome.json()["issue"][0]["diagnostics"]
    assert representation.json()["resourceType"] == "Patient"


async def test_update_and_patch_honour_the_preference(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    minimal = await fhir.put(f"Patient/{pid}", patient(id=pid), prefer="return=minimal")
    assert minimal.status_code == 200 and minimal.content == b"" and minimal.headers["etag"] == 'W/"2"'
    patched = await fhir.patch(
        f"Patient/{pid}",
        [{"op": "add", "path": "/gender", "value": "other"}],
        prefer="return=OperationOutcome",
    )
    assert patched.status_code == 200 and _is_outcome(patched)


async def test_delete_answers_an_outcome_only_when_asked(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    outcome = await fhir.delete(f"Patient/{pid}", prefer="return=OperationOutcome")
    assert outcome.status_code == 200 and _is_outcome(outcome)
    nothing = await fhir.delete(f"Patient/{pid}", prefer="return=OperationOutcome")
    assert "nothing to delete" in nothing.json()["issue"][0]["diagnostics"]


async def test_an_unknown_preference_is_ignored(fhir: FhirApp) -> None:
    response = await fhir.post("Patient", patient(), prefer='return=everything, wait=10; x="y"')
    assert response.status_code == 201 and response.json()["resourceType"] == "Patient"
