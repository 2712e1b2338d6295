"""``Patient/[id]/$everything``: the patient's compartment, paged, filtered by _type and _since."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.integration.fhir.rest.fhir_rest_harness import FhirApp, observation, patient


async def _ids(fhir: FhirApp, url: str) -> tuple[list[str], str | None]:
    response = await fhir.client.get(url)
    assert response.status_code == 200, response.text
    page = response.json()
    ids = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in page.get("entry", [])]
    following = next((link["url"] for link in page["link"] if link["relation"] == "next"), None)
    return ids, following


async def test_everything_pages_through_the_compartment_only(fhir: FhirApp) -> None:
    subject = await fhir.created("Patient", patient("Everything"))
    other = await fhir.created("Patient", patient("Elsewhere"))
    mine = [await fhir.created("Observation", observation(subject["id"])) for _ in range(5)]
    await fhir.created("Observation", observation(other["id"]))
    url: str | None = f"/fhir/R4/Patient/{subject['id']}/$everything?_count=2"
    seen: list[str] = []
    while url:
        ids, url = await _ids(fhir, url)
        assert len(ids) <= 2
        seen += ids
        if url:
            assert "$everything" in url
    expected = {f"Patient/{subject['id']}"} | {f"Observation/{o['id']}" for o in mine}
    assert sorted(seen) == sorted(expected)


async def test_everything_honours_type_and_since(fhir: FhirApp) -> None:
    subject = await fhir.created("Patient", patient("Since"))
    await fhir.created("Observation", observation(subject["id"]))
    await asyncio.sleep(0.01)
    cut = datetime.now(UTC).isoformat()
    later = await fhir.created("Observation", observation(subject["id"]))
    ids, _ = await _ids(fhir, f"/fhir/R4/Patient/{subject['id']}/$everything?_type=Patient")
    assert ids == [f"Patient/{subject['id']}"]
    response = await fhir.client.get(f"/fhir/R4/Patient/{subject['id']}/$everything", params={"_since": cut})
    assert [e["resource"]["id"] for e in response.json()["entry"]] == [later["id"]]


async def test_everything_of_an_unknown_patient_is_404(fhir: FhirApp) -> None:
    response = await fhir.client.get("/fhir/R4/Patient/nobody/$everything")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
