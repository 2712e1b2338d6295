"""Concurrent writers of one resource: no lost version, exactly one winner per If-Match."""

from __future__ import annotations

import asyncio
from collections import Counter

from fhir_rest_harness import FhirApp, patient


async def test_concurrent_updates_each_get_their_own_version(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    writers = 12
    responses = await asyncio.gather(
        *(fhir.put(f"Patient/{pid}", patient(f"Writer{n}", id=pid)) for n in range(writers))
    )
    assert [r.status_code for r in responses] == [200] * writers
    versions = sorted(int(r.json()["meta"]["versionId"]) for r in responses)
    assert versions == list(range(2, writers + 2))
    history = (await fhir.get(f"Patient/{pid}/_history?_count=100")).json()
    assert len(history["entry"]) == writers + 1
    final = (await fhir.get(f"Patient/{pid}")).json()
    winner = next(r.json() for r in responses if r.json()["meta"]["versionId"] == str(writers + 1))
    assert final["name"] == winner["name"]


async def test_only_one_of_several_if_match_writers_wins(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    responses = await asyncio.gather(
        *(fhir.put(f"Patient/{pid}", patient(f"Racer{n}", id=pid), if_match='W/"1"') for n in range(8))
    )
    assert Counter(r.status_code for r in responses) == {200: 1, 412: 7}
    assert (await fhir.get(f"Patient/{pid}")).headers["etag"] == 'W/"2"'


async def test_concurrent_update_as_create_makes_one_resource(fhir: FhirApp) -> None:
    responses = await asyncio.gather(
        *(fhir.put("Patient/pat-race", patient(id="pat-race")) for _ in range(6))
    )
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 5}
    assert (await fhir.get("Patient/pat-race")).headers["etag"] == 'W/"6"'


async def test_concurrent_conditional_creates_make_one_resource(fhir: FhirApp) -> None:
    body = patient(identifier=[{"system": "http://hospital.example.org/mrn", "value": "race-1"}])
    criteria = "identifier=http://hospital.example.org/mrn|race-1"
    responses = await asyncio.gather(*(fhir.post("Patient", body, if_none_exist=criteria) for _ in range(6)))
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 5}
    assert len({r.json()["id"] for r in responses}) == 1
