"""Batch: every entry on its own, each with its own status; one failure never fails the rest."""

from __future__ import annotations

from bundle_data import bundle, count, entry, patient, post_bundle
from tests.integration.fhir.rest.fhir_rest_harness import FhirApp


async def test_batch_answers_each_entry_with_its_own_outcome(fhir: FhirApp) -> None:
    existing = await fhir.created("Patient", patient("batch-1"))
    sent = bundle(
        "batch",
        entry("POST", "Patient", patient("batch-2")),
        entry("POST", "Patient", {**patient("batch-3"), "gender": "sometimes"}),
        entry("GET", f"Patient/{existing['id']}"),
        entry("GET", "Patient/does-not-exist"),
        entry(
            "PUT", f"Patient/{existing['id']}", {**patient("batch-1", family="Renamed"), "id": existing["id"]}
        ),
        entry("DELETE", "Patient/never-was"),
        entry("GET", "Patient?unknown-param=1&_count=1"),
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["type"] == "batch-response"
    statuses = [item["response"]["status"] for item in answer["entry"]]
    assert statuses == ["201 Created", "400 Bad Request", "200 OK", "404 Not Found", "200 OK",
                        "204 No Content", "200 OK"]  # fmt: skip
    failed = answer["entry"][1]["response"]["outcome"]
    assert failed["resourceType"] == "OperationOutcome"
    assert answer["entry"][2]["resource"]["id"] == existing["id"]
    assert answer["entry"][6]["resource"]["type"] == "searchset"
    assert await count(fhir, "Patient") == 2


async def test_prefer_minimal_leaves_resources_out(fhir: FhirApp) -> None:
    sent = bundle("batch", entry("POST", "Patient", patient("batch-min")))
    response = await post_bundle(fhir, sent, prefer="return=minimal")
    item = response.json()["entry"][0]
    assert "resource" not in item
    assert item["response"]["etag"] == 'W/"1"'
    assert "lastModified" in item["response"]
