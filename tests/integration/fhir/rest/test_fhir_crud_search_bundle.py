"""Search over HTTP (GET and POST _search) answered as a searchset Bundle."""

from __future__ import annotations

from typing import Any

from fhir_rest_harness import BASE, FhirApp, observation, patient


def _links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle["link"]}


async def test_search_by_id_returns_a_searchset_with_stored_bytes(fhir: FhirApp) -> None:
    created = await fhir.post("Patient", patient("Findme"))
    pid = created.json()["id"]
    response = await fhir.get(f"Patient?_id={pid}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+json; charset=utf-8"
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    (entry,) = bundle["entry"]
    assert entry["fullUrl"] == f"http://fhir.test{BASE}/Patient/{pid}"
    assert entry["search"] == {"mode": "match"}
    assert created.content in response.content  # the stored bytes, spliced in unparsed


async def test_post_search_combines_form_and_query(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient("Formsearch", gender="female")))["id"]
    await fhir.created("Patient", patient("Formsearch", gender="male"))
    response = await fhir.client.post(
        f"{BASE}/Patient/_search?gender=female",
        content=b"family=Formsearch",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert [e["resource"]["id"] for e in response.json()["entry"]] == [pid]
    wrong = await fhir.client.post(
        f"{BASE}/Patient/_search", content=b"{}", headers={"content-type": "application/json"}
    )
    assert wrong.status_code == 415


async def test_include_total_and_paging_links(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    for value in ("1.0", "2.0", "3.0"):
        await fhir.created("Observation", observation(pid, value))
    first = (
        await fhir.get(
            f"Observation?subject=Patient/{pid}&_include=Observation:subject&_count=2&_total=accurate"
        )
    ).json()
    assert first["total"] == 3
    modes = [e["search"]["mode"] for e in first["entry"]]
    assert modes == ["match", "match", "include"]
    assert first["entry"][-1]["resource"]["id"] == pid
    second = (await fhir.client.get(_links(first)["next"])).json()
    assert [e["search"]["mode"] for e in second["entry"]] == ["match", "include"]
    assert "previous" in _links(second) and "next" not in _links(second)


async def test_unknown_parameters_follow_prefer_handling(fhir: FhirApp) -> None:
    lenient = (await fhir.get("Patient?nonsense=1")).json()
    assert lenient["entry"][-1]["search"]["mode"] == "outcome"
    assert lenient["entry"][-1]["resource"]["resourceType"] == "OperationOutcome"
    strict = await fhir.get("Patient?nonsense=1", prefer="handling=strict")
    assert strict.status_code == 400 and strict.json()["resourceType"] == "OperationOutcome"
    assert (await fhir.get("Patient?birthdate=notadate")).status_code == 400
    assert (await fhir.get("Unicorn?name=x")).status_code == 404


async def test_system_and_compartment_search(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient("Compartment")))["id"]
    other = (await fhir.created("Patient", patient("Elsewhere")))["id"]
    oid = (await fhir.created("Observation", observation(pid)))["id"]
    await fhir.created("Observation", observation(other))
    across = (await fhir.client.get(f"{BASE}?_type=Patient,Observation&_id={pid},{oid}")).json()
    assert {e["resource"]["id"] for e in across["entry"]} == {pid, oid}
    posted = await fhir.client.post(
        f"{BASE}/_search",
        content=f"_id={oid}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert [e["resource"]["id"] for e in posted.json()["entry"]] == [oid]
    in_compartment = (await fhir.get(f"Patient/{pid}/Observation")).json()
    assert [e["resource"]["id"] for e in in_compartment["entry"]] == [oid]
    everything = (await fhir.get(f"Patient/{pid}/*")).json()
    assert {e["resource"]["id"] for e in everything["entry"]} == {pid, oid}  # the Patient is in its own
    assert (await fhir.get(f"Patient/{pid}/Unicorn")).status_code == 404
