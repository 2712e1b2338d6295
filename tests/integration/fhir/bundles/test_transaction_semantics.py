"""Transaction semantics: conditional entries and references, processing order, all or nothing."""

from __future__ import annotations

import base64

import orjson
from bundle_data import SYSTEM, bundle, count, encounter, entry, observation, patient, post_bundle, urn
from tests.integration.fhir.rest.fhir_rest_harness import FhirApp


async def test_conditional_reference_resolves_to_the_one_matching_patient(fhir: FhirApp) -> None:
    existing = await fhir.created("Patient", patient("mrn-7"))
    sent = bundle(
        "transaction", entry("POST", "Observation", observation(f"Patient?identifier={SYSTEM}|mrn-7"))
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 200, response.text
    location = response.json()["entry"][0]["response"]["location"]
    stored = (await fhir.get("/".join(location.split("/")[:2]))).json()
    assert stored["subject"]["reference"] == f"Patient/{existing['id']}"


async def test_conditional_reference_matching_nothing_or_many_fails_the_whole_transaction(
    fhir: FhirApp,
) -> None:
    await fhir.created("Patient", patient("twin"))
    await fhir.created("Patient", patient("twin"))
    for value, status in (("nobody", 400), ("twin", 412)):
        sent = bundle(
            "transaction",
            entry("POST", "Patient", patient("bystander"), fullUrl=urn()),
            entry("POST", "Observation", observation(f"Patient?identifier={SYSTEM}|{value}")),
        )
        response = await post_bundle(fhir, sent)
        assert response.status_code == status, response.text
        assert response.json()["resourceType"] == "OperationOutcome"
    assert await count(fhir, "Patient") == 2  # the bystanders were rolled back
    assert await count(fhir, "Observation") == 0


async def test_if_none_exist_reuses_the_match_and_its_references_follow(fhir: FhirApp) -> None:
    existing = await fhir.created("Patient", patient("mrn-9"))
    p = urn()
    sent = bundle(
        "transaction",
        entry("POST", "Patient", patient("mrn-9"), fullUrl=p, ifNoneExist=f"identifier={SYSTEM}|mrn-9"),
        entry("POST", "Encounter", encounter(p), fullUrl=urn()),
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 200, response.text
    first, second = response.json()["entry"]
    assert first["response"]["status"] == "200 OK"
    assert first["response"]["location"].startswith(f"Patient/{existing['id']}/")
    stored = (await fhir.get("/".join(second["response"]["location"].split("/")[:2]))).json()
    assert stored["subject"]["reference"] == f"Patient/{existing['id']}"
    assert await count(fhir, "Patient") == 1


async def test_conditional_update_and_delete_inside_a_transaction(fhir: FhirApp) -> None:
    kept = await fhir.created("Patient", patient("upd-1", family="Before"))
    await fhir.created("Patient", patient("del-1"))
    sent = bundle(
        "transaction",
        entry("PUT", f"Patient?identifier={SYSTEM}|upd-1", patient("upd-1", family="After")),
        entry("DELETE", f"Patient?identifier={SYSTEM}|del-1"),
        entry("PUT", f"Patient?identifier={SYSTEM}|new-1", patient("new-1")),
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 200, response.text
    statuses = [item["response"]["status"] for item in response.json()["entry"]]
    assert statuses == ["200 OK", "204 No Content", "201 Created"]
    assert (await fhir.get(f"Patient/{kept['id']}")).json()["name"][0]["family"] == "After"
    assert await count(fhir, "Patient") == 2


async def test_processing_order_deletes_before_creates_and_reads_last(fhir: FhirApp) -> None:
    old = await fhir.created("Patient", patient("order-1"))
    sent = bundle(
        "transaction",
        entry("GET", f"Patient?identifier={SYSTEM}|order-1"),
        entry("POST", "Patient", patient("order-1"), fullUrl=urn()),
        entry("DELETE", f"Patient/{old['id']}"),
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 200, response.text
    search, created, deleted = response.json()["entry"]
    assert deleted["response"]["status"] == "204 No Content"
    matches = search["resource"]["entry"]
    assert [m["resource"]["id"] for m in matches] == [created["response"]["location"].split("/")[1]]


async def test_patch_entry_applies_a_json_patch(fhir: FhirApp) -> None:
    target = await fhir.created("Patient", patient("patch-1"))
    document = orjson.dumps([{"op": "replace", "path": "/name/0/family", "value": "Patched"}])
    binary = {"resourceType": "Binary", "contentType": "application/json-patch+json",
              "data": base64.b64encode(document).decode()}  # fmt: skip
    response = await post_bundle(
        fhir, bundle("transaction", entry("PATCH", f"Patient/{target['id']}", binary))
    )
    assert response.status_code == 200, response.text
    assert (await fhir.get(f"Patient/{target['id']}")).json()["name"][0]["family"] == "Patched"


async def test_an_invalid_entry_leaves_no_partial_writes(fhir: FhirApp) -> None:
    p = urn()
    bad = {**observation(p), "status": "not-a-status"}
    sent = bundle(
        "transaction",
        entry("POST", "Patient", patient("rollback-1"), fullUrl=p),
        entry("POST", "Observation", bad),
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 400, response.text
    assert "Bundle.entry[1]" in response.text
    assert await count(fhir, "Patient") == 0
    assert await fhir.events() == []


async def test_a_failure_after_writes_rolls_every_write_back(fhir: FhirApp) -> None:
    stale = await fhir.created("Patient", patient("stale-1"))
    sent = bundle(
        "transaction",
        entry("POST", "Patient", patient("rollback-2"), fullUrl=urn()),
        entry("PUT", f"Patient/{stale['id']}", {**patient("stale-1"), "id": stale["id"]}, ifMatch='W/"7"'),
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 412, response.text
    assert await count(fhir, "Patient") == 1
    async with fhir.db.read() as conn:
        assert await conn.fetchval("SELECT COUNT(*) FROM fhir_history") == 1


async def test_a_reference_to_nothing_fails_the_transaction(fhir: FhirApp) -> None:
    stored = await fhir.created("Patient", patient("present"))
    good = bundle(
        "transaction", entry("POST", "Observation", observation(f"Patient/{stored['id']}/_history/1"))
    )
    assert (await post_bundle(fhir, good)).status_code == 200
    ghost = bundle(
        "transaction",
        entry("POST", "Patient", patient("bystander-2"), fullUrl=urn()),
        entry("POST", "Observation", observation("Patient/ghost")),
    )
    response = await post_bundle(fhir, ghost)
    assert response.status_code == 400, response.text
    assert "Patient/ghost" in response.text and "Bundle.entry[1]" in response.text
    deleting = bundle(
        "transaction",
        entry("DELETE", f"Patient/{stored['id']}"),
        entry("POST", "Observation", observation(f"Patient/{stored['id']}")),
    )
    response = await post_bundle(fhir, deleting)
    assert response.status_code == 400, response.text
    assert await count(fhir, "Patient") == 1
    assert await count(fhir, "Observation") == 1
