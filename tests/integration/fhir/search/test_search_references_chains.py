"""References, uris, composites, chains (multi-level) and reverse chains, on both dialects."""

from __future__ import annotations

import pytest
from search_data import observation, record
from search_store import BASE_URL, Store


@pytest.fixture
async def loaded(store: Store) -> Store:
    await store.put_all(record())
    return store


async def test_reference_forms(loaded: Store) -> None:
    assert await loaded.id_set("Observation", "subject=Patient/p1") == {"o1", "o2"}
    assert await loaded.id_set("Observation", "subject=p1") == {"o1", "o2"}
    assert await loaded.id_set("Observation", "subject:Patient=p1") == {"o1", "o2"}
    assert await loaded.id_set("Observation", "subject:Group=p1") == set()
    assert await loaded.id_set("Observation", f"subject={BASE_URL}/Patient/p1") == {"o1", "o2"}
    assert await loaded.id_set("Observation", "subject=Patient/p1/_history/1") == {"o1", "o2"}
    assert await loaded.id_set("Observation", "patient=p2") == {"o3", "o4"}
    assert await loaded.id_set("Observation", "subject=Patient/p1,Patient/p3") == {"o1", "o2", "o5"}
    assert await loaded.id_set("Patient", "organization=Organization/org1") == {"p1"}


async def test_references_to_other_servers_match_by_url(store: Store) -> None:
    await store.put(observation("ext", "http://other.test/fhir/Patient/x", "1-8", "2020"))
    assert await store.id_set("Observation", "subject=http://other.test/fhir/Patient/x") == {"ext"}
    assert await store.id_set("Observation", "subject=x") == set()


async def test_references_given_only_by_identifier_match_with_the_identifier_modifier(store: Store) -> None:
    by_identifier = {
        "resourceType": "Observation", "id": "by-mrn", "status": "final", "code": {"text": "x"},
        "subject": {"identifier": {"system": "http://hospital.example/mrn", "value": "MRN-77"}},
    }  # fmt: skip
    await store.put(by_identifier)
    await store.put(observation("by-ref", "Patient/p9", "1-8", "2020"))
    found = await store.id_set("Observation", "subject:identifier=http://hospital.example/mrn|MRN-77")
    assert found == {"by-mrn"}
    assert await store.id_set("Observation", "subject:identifier=MRN-77") == {"by-mrn"}
    assert await store.id_set("Observation", "subject:identifier=http://other|MRN-77") == set()
    assert await store.id_set("Observation", "subject=Patient/p9") == {"by-ref"}


async def test_missing_references(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "organization:missing=true") == {"p3"}
    assert await loaded.id_set("Organization", "partof:missing=false") == {"org1"}


async def test_chains(loaded: Store) -> None:
    assert await loaded.id_set("Observation", "subject:Patient.family=mul") == {"o1", "o2"}
    assert await loaded.id_set("Observation", "subject.family=mueller") == {"o3", "o4"}
    assert await loaded.id_set("Observation", "subject:Patient.gender=female&code=8480-6") == {"o1", "o2"}
    assert await loaded.id_set("Observation", "subject:Patient.family=nobody") == set()
    assert await loaded.id_set("Observation", "subject:Patient._id=p3") == {"o5"}


async def test_multi_level_chains(loaded: Store) -> None:
    assert await loaded.id_set("Observation", "subject:Patient.organization.name=general") == {"o1", "o2"}
    assert await loaded.id_set("Observation", "subject:Patient.organization.partof.name=health") == {
        "o1",
        "o2",
    }
    assert await loaded.id_set("Observation", "subject:Patient.organization.name=small") == {"o3", "o4"}


async def test_chains_skip_deleted_targets(loaded: Store) -> None:
    await loaded.put(observation("o9", "Patient/gone", "8480-6", "2020"))
    await loaded.put({"resourceType": "Patient", "id": "gone", "name": [{"family": "Muller"}]}, deleted=True)
    assert await loaded.id_set("Observation", "subject:Patient.family=muller") == {"o1", "o2"}


async def test_reverse_chains(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "_has:Observation:patient:code=8462-4") == {"p2"}
    assert await loaded.id_set("Patient", "_has:Observation:subject:code=8480-6") == {"p1", "p2"}
    assert await loaded.id_set("Patient", "_has:Observation:patient:date=lt2020") == {"p3"}
    assert await loaded.id_set("Patient", "_has:Observation:patient:code=8480-6&gender=male") == {"p2"}
    nested = "_has:Patient:organization:_has:Observation:patient:code=8462-4"
    assert await loaded.id_set("Organization", nested) == {"org2"}


async def test_composites(loaded: Store) -> None:
    assert await loaded.id_set("Observation", "code-value-quantity=http://loinc.org|8480-6$gt130") == {
        "o2",
        "o3",
    }
    assert await loaded.id_set("Observation", "code-value-quantity=8480-6$lt130") == {"o1"}
    assert await loaded.id_set("Observation", "code-value-quantity=8462-4$gt130") == set()
    assert await loaded.id_set("Observation", "code-value-quantity=8462-4$80||mmHg,8480-6$150") == {
        "o3",
        "o4",
    }


async def test_composite_components_must_come_from_the_same_element(store: Store) -> None:
    # Blood pressure as components: systolic 120, diastolic 80. "systolic 80" must not match.
    bp = {
        "resourceType": "Observation", "id": "bp", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "component": [
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
             "valueQuantity": {"value": 120, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
             "valueQuantity": {"value": 80, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
        ],
    }  # fmt: skip
    await store.put(bp)
    assert await store.id_set("Observation", "component-code-value-quantity=8480-6$120") == {"bp"}
    assert await store.id_set("Observation", "component-code-value-quantity=8480-6$80") == set()
    assert await store.id_set("Observation", "component-code=8462-4&component-value-quantity=120") == {"bp"}
