"""History of an instance, a type and the system: order, _since, _count and stable paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fhir_rest_harness import FhirApp, patient


def _links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


def _versions(bundle: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["fullUrl"].rsplit("/", 1)[-1], e["response"]["etag"]) for e in bundle.get("entry", [])]


async def test_instance_history_is_newest_first_with_entry_details(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient("V1")))["id"]
    await fhir.put(f"Patient/{pid}", patient("V2", id=pid))
    response = await fhir.get(f"Patient/{pid}/_history")
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "history"
    newest, oldest = bundle["entry"]
    assert newest["resource"]["name"][0]["family"] == "V2"
    assert newest["request"] == {"method": "PUT", "url": f"Patient/{pid}"}
    assert newest["response"]["status"] == "200 OK" and newest["response"]["etag"] == 'W/"2"'
    assert oldest["request"] == {"method": "POST", "url": "Patient"}
    assert oldest["fullUrl"] == f"http://fhir.test/fhir/R4/Patient/{pid}"


async def test_type_and_system_history(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    await fhir.created("Practitioner", {"resourceType": "Practitioner", "name": [{"family": "Doc"}]})
    await fhir.put(f"Patient/{pid}", patient(id=pid))
    type_history = (await fhir.get("Patient/_history")).json()
    system_history = (await fhir.get("_history")).json()
    assert [t for t, _ in _versions(type_history)] == [pid, pid]
    kinds = [e["fullUrl"].split("/")[-2] for e in system_history["entry"]]
    assert kinds == ["Patient", "Practitioner", "Patient"]


async def test_since_keeps_only_later_versions(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    second = await fhir.put(f"Patient/{pid}", patient(id=pid))
    since = second.json()["meta"]["lastUpdated"]
    await fhir.put(f"Patient/{pid}", patient(id=pid))
    bundle = (await fhir.get(f"Patient/{pid}/_history?_since={quote(since)}")).json()
    assert [etag for _, etag in _versions(bundle)] == ['W/"3"', 'W/"2"']
    future = (await fhir.get("_history?_since=2999-01-01")).json()
    assert "entry" not in future


async def test_paging_walks_every_version_once_even_while_writes_continue(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    for _ in range(6):
        await fhir.put(f"Patient/{pid}", patient(id=pid))  # versions 1..7
    page = (await fhir.get(f"Patient/{pid}/_history?_count=3")).json()
    seen = _versions(page)
    assert "previous" not in _links(page)
    await fhir.put(f"Patient/{pid}", patient(id=pid))  # version 8 lands before the first page
    while "next" in _links(page):
        page = (await fhir.client.get(_links(page)["next"])).json()
        seen += _versions(page)
    assert [etag for _, etag in seen] == [f'W/"{n}"' for n in range(7, 0, -1)]
    back = (await fhir.client.get(_links(page)["previous"])).json()
    assert [etag for _, etag in _versions(back)] == ['W/"4"', 'W/"3"', 'W/"2"']
    newest = (await fhir.client.get(_links(back)["previous"])).json()
    assert [etag for _, etag in _versions(newest)] == ['W/"7"', 'W/"6"', 'W/"5"']


async def test_bad_history_parameters_are_400(fhir: FhirApp) -> None:
    for query in ("_count=-1", "_count=abc", "_count=100000", "_since=yesterday", "_page=zzz", "_page=o!!"):
        response = await fhir.get(f"_history?{query}")
        assert response.status_code == 400, query
        assert response.json()["resourceType"] == "OperationOutcome"
    assert (await fhir.get("Unknowntype/_history")).status_code == 404
    assert (await fhir.get("Patient/never-existed/_history")).status_code == 404
