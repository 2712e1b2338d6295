"""Paging links, _total, _summary, _elements, compartments, system search, handling; both dialects."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import orjson
import pytest
from search_data import observation, patient, record
from search_store import BASE_URL, Store

from caremesh.fhir.outcome import FhirError


@pytest.fixture
async def loaded(store: Store) -> Store:
    await store.put_all(record())
    return store


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


async def test_pages_and_their_links(loaded: Store) -> None:
    first = await loaded.search("Observation", "code=8480-6,8462-4,29463-7&_count=2")
    assert [m.res_id for m in first.matches] == ["o1", "o2"]
    assert first.links["self"].startswith(f"{BASE_URL}/Observation?")
    assert "previous" not in first.links
    seen = [m.res_id for m in first.matches]
    page = first
    while "next" in page.links:
        page = await loaded.search("Observation", query_of(page.links["next"]))
        seen += [m.res_id for m in page.matches]
        assert "previous" in page.links
    assert seen == ["o1", "o2", "o3", "o4", "o5"]
    assert [m.res_id for m in page.matches] == ["o5"]
    again = await loaded.search("Observation", query_of(page.links["self"]))
    assert again.links == page.links and [m.res_id for m in again.matches] == ["o5"]
    back = await loaded.search("Observation", query_of(page.links["previous"]))
    assert [m.res_id for m in back.matches] == ["o3", "o4"]


async def test_links_repeat_the_query_as_understood(loaded: Store) -> None:
    result = await loaded.search("Patient", [("family", "mu,sm"), ("nonsense", "1"), ("_sort", "-birthdate")])
    assert query_of(result.links["self"]) == [("family", "mu,sm"), ("_sort", "-birthdate"), ("_count", "20")]
    assert "next" not in result.links


async def test_totals(loaded: Store) -> None:
    assert (await loaded.search("Observation", "_count=1")).total is None
    accurate = await loaded.search("Observation", "_count=1&_total=accurate&code=8480-6")
    assert accurate.total == 3 and len(accurate.matches) == 1
    estimate = await loaded.search("Observation", "_total=estimate")
    assert isinstance(estimate.total, int) and estimate.total >= 0
    counted = await loaded.search("Observation", "_summary=count&subject=Patient/p1")
    assert counted.total == 2 and counted.matches == []
    zero = await loaded.search("Observation", "_count=0")
    assert zero.total == 5 and zero.matches == []


async def test_summary_and_elements_shape_bodies(loaded: Store) -> None:
    result = await loaded.search("Patient", "_id=p1&_elements=gender")
    body = orjson.loads(result.matches[0].body)
    assert set(body) == {"resourceType", "id", "meta", "gender"}
    assert body["meta"]["tag"][-1]["code"] == "SUBSETTED"
    summary = orjson.loads((await loaded.search("Patient", "_id=p1&_summary=true")).matches[0].body)
    assert {"name", "gender", "birthDate", "identifier"} <= set(summary)
    included = await loaded.search("Observation", "_id=o1&_include=Observation:subject&_elements=status")
    assert set(orjson.loads(included.included[0].body)) == {"resourceType", "id", "meta"}


async def test_patient_compartment(loaded: Store) -> None:
    assert await loaded.id_set("Observation", [], compartment=("Patient", "p1")) == {"o1", "o2"}
    assert await loaded.id_set("Observation", "date=lt2020-02", compartment=("Patient", "p1")) == {"o1"}
    everything = await loaded.search(None, [], compartment=("Patient", "p1"))
    assert {(m.res_type, m.res_id) for m in everything.matches} == {
        ("Patient", "p1"),
        ("Observation", "o1"),
        ("Observation", "o2"),
    }
    assert everything.links["self"].startswith(f"{BASE_URL}/Patient/p1/*?")
    with pytest.raises(FhirError) as caught:
        await loaded.search("Organization", [], compartment=("Patient", "p1"))
    assert "not in the Patient compartment" in str(caught.value)


async def test_system_search(loaded: Store) -> None:
    found = await loaded.search(None, "_id=p1,org1,o1")
    assert {(m.res_type, m.res_id) for m in found.matches} == {
        ("Patient", "p1"),
        ("Organization", "org1"),
        ("Observation", "o1"),
    }
    typed = await loaded.search(None, "_type=Patient,Organization&_id=p1,org1,o1")
    assert {m.res_type for m in typed.matches} == {"Patient", "Organization"}
    assert await loaded.id_set(None, "_type=Patient,Practitioner&family=smi") == {"p3"}
    assert await loaded.id_set(None, "_type=Observation&code=8462-4") == {"o4"}
    assert query_of(typed.links["self"])[0] == ("_type", "Patient,Organization")


async def test_deleted_resources_never_match(store: Store) -> None:
    await store.put(patient("live", "Muller", "A"))
    await store.put(patient("dead", "Muller", "B"), deleted=True)
    await store.put(observation("od", "Patient/dead", "8480-6", "2020"))
    assert await store.id_set("Patient", "family=muller") == {"live"}
    assert await store.id_set("Patient", "") == {"live"}
    assert await store.id_set(None, "_id=dead,live") == {"live"}
    included = await store.search("Observation", "_include=Observation:subject")
    assert included.included == []
    assert await store.id_set("Patient", "_has:Observation:subject:code=8480-6") == set()


async def test_strict_and_lenient_handling(loaded: Store) -> None:
    lenient = await loaded.search("Patient", "family=mul&colour=blue")
    assert [m.res_id for m in lenient.matches] == ["p1"]
    assert [(i.severity, i.expression) for i in lenient.issues] == [("warning", ("colour",))]
    with pytest.raises(FhirError) as caught:
        await loaded.search("Patient", "family=mul&colour=blue", handling="strict")
    assert caught.value.status == 400 and "colour" in caught.value.issues[0].diagnostics
    with pytest.raises(FhirError) as bad_value:
        await loaded.search("Patient", "birthdate=not-a-date")
    assert "invalid date 'not-a-date'" in bad_value.value.issues[0].diagnostics


@pytest.mark.parametrize(
    "value",
    [
        "'; DROP TABLE fhir_resource; --",
        "x' OR '1'='1",
        "%' OR 1=1 --",
        "$1",
        "Robert'); DELETE FROM fhir_sp_string; --",
        "name.where(family = 'x')",
        "\\' OR 1=1",
    ],
)
async def test_injection_attempts_in_values_are_literals(loaded: Store, value: str) -> None:
    names = [
        "family",
        "family:exact",
        "family:contains",
        "identifier",
        "organization",
        "_id",
    ]
    for name in [*names, "subject:Patient.family"]:
        resource_type = "Observation" if name.startswith("subject") else "Patient"
        assert await loaded.ids(resource_type, [(name, value)]) == []
    for name in ("_profile:above", "_profile:below"):  # these take URLs only
        assert await loaded.ids("Patient", [(name, f"http://profiles.test/{value}")]) == []
    assert await loaded.id_set("Patient", "") == {"p1", "p2", "p3"}  # nothing was dropped or deleted
    assert await loaded.id_set("Patient", "family=mu") == {"p1", "p2"}
