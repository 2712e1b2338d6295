"""A transaction with urn:uuid references: created together, references rewritten."""

from __future__ import annotations

from bundle_data import bundle, encounter, entry, observation, patient, post_bundle, urn
from tests.integration.fhir.rest.fhir_rest_harness import FhirApp

from caremesh.contracts.clinical import ResourceChanged


async def test_urn_uuid_references_point_at_the_created_resources(fhir: FhirApp) -> None:
    p, e = urn(), urn()
    sent = bundle(
        "transaction",
        entry("POST", "Observation", observation(p, e), fullUrl=urn()),
        entry("POST", "Encounter", encounter(p), fullUrl=e),
        entry("POST", "Patient", patient("tx-1"), fullUrl=p),
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["type"] == "transaction-response"
    statuses = [item["response"]["status"] for item in answer["entry"]]
    assert statuses == ["201 Created"] * 3
    obs_loc, enc_loc, pat_loc = (item["response"]["location"] for item in answer["entry"])
    patient_ref = "/".join(pat_loc.split("/")[:2])
    encounter_ref = "/".join(enc_loc.split("/")[:2])
    stored = (await fhir.get("/".join(obs_loc.split("/")[:2]))).json()
    assert stored["subject"]["reference"] == patient_ref
    assert stored["encounter"]["reference"] == encounter_ref
    found = (await fhir.get(f"Observation?subject={patient_ref}")).json()
    assert found["entry"][0]["resource"]["id"] == stored["id"]


async def test_every_created_resource_is_announced_with_its_patient(fhir: FhirApp) -> None:
    p = urn()
    sent = bundle(
        "transaction",
        entry("POST", "Patient", patient("events-1"), fullUrl=p),
        entry("POST", "Encounter", encounter(p), fullUrl=urn()),
        entry("POST", "Observation", observation(p)),
    )
    response = await post_bundle(fhir, sent)
    assert response.status_code == 200, response.text
    patient_id = response.json()["entry"][0]["response"]["location"].split("/")[1]
    payloads = [ResourceChanged.model_validate(e["payload"]) for e in await fhir.events()]
    seen = sorted((p.resource_type, p.interaction, p.version_id, p.patient_id) for p in payloads)
    assert seen == [
        ("Encounter", "create", 1, patient_id),
        ("Observation", "create", 1, patient_id),
        ("Patient", "create", 1, patient_id),
    ]
