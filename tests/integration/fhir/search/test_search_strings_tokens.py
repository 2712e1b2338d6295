"""String and token parameters, and the universal _id _tag _security _profile, on both dialects."""

from __future__ import annotations

import pytest
from search_data import patient, record
from search_store import Store


@pytest.fixture
async def loaded(store: Store) -> Store:
    await store.put_all(record())
    await store.put({"resourceType": "Patient", "id": "p4"})  # no name, gender, or identifier
    return store


async def test_string_default_is_a_normalised_prefix(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "family=mul") == {"p1"}  # Müller indexes as "muller"
    assert await loaded.id_set("Patient", "family=MUE") == {"p2"}
    assert await loaded.id_set("Patient", "family=mu") == {"p1", "p2"}
    assert await loaded.id_set("Patient", "family=Mül") == {"p1"}
    assert await loaded.id_set("Patient", "name=ann") == {"p1"}  # any part of the HumanName
    assert await loaded.id_set("Patient", "family=uller") == set()


async def test_string_exact_and_contains(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "family:exact=Müller") == {"p1"}
    assert await loaded.id_set("Patient", "family:exact=müller") == set()
    assert await loaded.id_set("Patient", "family:exact=Mül") == set()
    assert await loaded.id_set("Patient", "family:contains=ll") == {"p1", "p2"}
    assert await loaded.id_set("Patient", "family:contains=ELL") == {"p2"}
    assert await loaded.id_set("Patient", "family:contains=l_e") == set()  # "_" is not a wildcard
    assert await loaded.id_set("Patient", "family:contains=%") == set()


async def test_or_within_a_parameter_and_across_repeats(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "family=mul,smi") == {"p1", "p3"}
    assert await loaded.id_set("Patient", "family=mu&given=bernd") == {"p2"}
    assert await loaded.id_set("Patient", "family=mu&family=mue") == {"p2"}


async def test_missing_on_strings_and_tokens(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "family:missing=true") == {"p4"}
    assert await loaded.id_set("Patient", "family:missing=false") == {"p1", "p2", "p3"}
    assert await loaded.id_set("Patient", "active:missing=true") == {"p1", "p2", "p4"}
    assert await loaded.id_set("Patient", "active:missing=false") == {"p3"}


async def test_token_forms(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "gender=female") == {"p1", "p3"}
    assert await loaded.id_set("Patient", "identifier=MRN-1") == {"p1"}
    assert await loaded.id_set("Patient", "identifier=http://hospital.test/mrn|MRN-2") == {"p2"}
    assert await loaded.id_set("Patient", "identifier=http://hospital.test/mrn|") == {"p1", "p2"}
    assert await loaded.id_set("Patient", "identifier=|NOSYSTEM-3") == {"p3"}
    assert await loaded.id_set("Patient", "identifier=|MRN-1") == set()
    assert await loaded.id_set("Patient", "identifier=http://other.test|MRN-1") == set()
    assert await loaded.id_set("Patient", "active=true") == {"p3"}
    assert await loaded.id_set("Patient", "gender=female,male") == {"p1", "p2", "p3"}


async def test_token_not_includes_resources_without_the_element(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "gender:not=female") == {"p2", "p4"}
    assert await loaded.id_set("Patient", "gender:not=female,male") == {"p4"}


async def test_token_text_searches_display_and_text(loaded: Store) -> None:
    assert await loaded.id_set("Observation", "code:text=test 8480") == {"o1", "o2", "o3"}
    assert await loaded.id_set("Observation", "code:text=TEST 84") == {"o1", "o2", "o3", "o4"}
    assert await loaded.id_set("Observation", "code:text=8480") == set()


async def test_universal_parameters(loaded: Store) -> None:
    assert await loaded.id_set("Patient", "_id=p1,p3") == {"p1", "p3"}
    assert await loaded.id_set("Patient", "_id:not=p1") == {"p2", "p3", "p4"}
    assert await loaded.id_set("Patient", "_tag=http://tags.test|vip") == {"p1"}
    assert await loaded.id_set("Patient", "_tag=vip&family=mue") == set()
    assert await loaded.id_set("Patient", "_security=R") == {"p1"}
    assert await loaded.id_set("Patient", "_profile=http://profiles.test/StructureDefinition/patient") == {
        "p1"
    }
    assert await loaded.id_set("Patient", "_profile:below=http://profiles.test/") == {"p1"}
    assert await loaded.id_set(
        "Patient", "_profile:above=http://profiles.test/StructureDefinition/patient/v2"
    ) == {"p1"}
    assert await loaded.id_set("Patient", "_profile:above=http://profiles.test/Other") == set()


async def test_escaped_separators_reach_the_database_as_literals(store: Store) -> None:
    await store.put(patient("x1", "Smith, Jr", "Al"))
    await store.put(patient("x2", "Jr", "Bo"))
    assert await store.id_set("Patient", r"family=smith\, jr") == {"x1"}
    assert await store.id_set("Patient", "family=smith, jr") == {"x1", "x2"}  # two alternatives
