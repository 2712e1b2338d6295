"""JSON Patch (RFC 6902) on stored resources, numbers kept exactly."""

from __future__ import annotations

import orjson
from fhir_rest_harness import FhirApp, observation, patient


async def test_patch_applies_operations_and_keeps_untouched_decimals(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    oid = (await fhir.created("Observation", observation(pid, "7.250")))["id"]
    operations = (
        b'[{"op":"test","path":"/valueQuantity/value","value":7.25},'
        b'{"op":"replace","path":"/status","value":"amended"},'
        b'{"op":"add","path":"/note","value":[{"text":"rechecked"}]},'
        b'{"op":"add","path":"/referenceRange","value":[{"low":{"value":0.50}}]}]'
    )
    response = await fhir.patch(f"Observation/{oid}", operations)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == 'W/"2"'
    read = await fhir.get(f"Observation/{oid}")
    assert b'"value":7.250' in read.content and b'"value":0.50' in read.content
    body = read.json()
    assert body["status"] == "amended" and body["note"] == [{"text": "rechecked"}]
    history = (await fhir.get(f"Observation/{oid}/_history")).json()
    assert history["entry"][0]["request"]["method"] == "PATCH"


async def test_patch_failures_are_4xx_and_change_nothing(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    cases = {
        b'[{"op":"test","path":"/gender","value":"male"}]': 422,  # test fails: no gender
        b'[{"op":"remove","path":"/birthDate"}]': 422,  # nothing to remove
        b'[{"op":"replace","path":"/name/5","value":{}}]': 422,  # index out of range
        b'[{"op":"jump","path":"/x"}]': 400,  # unknown op
        b'[{"op":"add","path":"gender","value":"male"}]': 400,  # pointer without "/"
        b'{"op":"add"}': 400,  # not an array
        b"[{not json": 400,
        orjson.dumps([{"op": "replace", "path": "/id", "value": "other"}]): 400,  # id must match the URL
        orjson.dumps([{"op": "add", "path": "/gender", "value": "robot"}]): 400,  # invalid result
    }
    for operations, status in cases.items():
        response = await fhir.patch(f"Patient/{pid}", operations)
        assert response.status_code == status, (operations, response.text)
        assert response.json()["resourceType"] == "OperationOutcome"
    assert (await fhir.get(f"Patient/{pid}")).headers["etag"] == 'W/"1"'


async def test_patch_checks_media_type_version_and_existence(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    operations = orjson.dumps([{"op": "add", "path": "/active", "value": False}])
    as_fhir = await fhir.client.patch(
        f"/fhir/R4/Patient/{pid}", content=operations, headers={"content-type": "application/fhir+json"}
    )
    assert as_fhir.status_code == 415
    assert (await fhir.patch(f"Patient/{pid}", operations, if_match='W/"9"')).status_code == 412
    assert (await fhir.patch(f"Patient/{pid}", operations, if_match='W/"1"')).status_code == 200
    assert (await fhir.patch("Patient/missing-one", operations)).status_code == 404
    await fhir.delete(f"Patient/{pid}")
    assert (await fhir.patch(f"Patient/{pid}", operations)).status_code == 410
