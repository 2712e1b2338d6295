"""_include/_revinclude (with :iterate) and _sort, on both dialects."""

from __future__ import annotations

import pytest
from search_data import record
from search_store import Store


@pytest.fixture
async def loaded(store: Store) -> Store:
    await store.put_all(record())
    return store


def keys(matches: list) -> set[str]:
    return {f"{m.res_type}/{m.res_id}" for m in matches}


async def test_include_follows_references_of_the_matches(loaded: Store) -> None:
    result = await loaded.search("Observation", "code=8462-4&_include=Observation:subject")
    assert keys(result.matches) == {"Observation/o4"}
    assert keys(result.included) == {"Patient/p2"}
    assert result.included[0].body.startswith(b'{"resourceType":"Patient"')


async def test_include_with_target_type_and_wildcard(loaded: Store) -> None:
    result = await loaded.search("Observation", "_id=o1&_include=Observation:subject:Group")
    assert result.included == []
    result = await loaded.search("Observation", "_id=o1,o2&_include=Observation:*")
    assert keys(result.included) == {"Patient/p1"}  # once, though both refer to it


async def test_revinclude(loaded: Store) -> None:
    result = await loaded.search("Patient", "_id=p1&_revinclude=Observation:subject")
    assert keys(result.matches) == {"Patient/p1"}
    assert keys(result.included) == {"Observation/o1", "Observation/o2"}
    result = await loaded.search("Organization", "_id=org0&_revinclude=Organization:partof")
    assert keys(result.included) == {"Organization/org1"}


async def test_iterate_follows_the_included(loaded: Store) -> None:
    once = await loaded.search(
        "Observation", "_id=o1&_include=Observation:subject&_include=Patient:organization"
    )
    assert keys(once.included) == {"Patient/p1"}
    chained = "_id=o1&_include=Observation:subject&_include:iterate=Patient:organization"
    assert keys((await loaded.search("Observation", chained)).included) == {"Patient/p1", "Organization/org1"}
    deep = chained + "&_include:iterate=Organization:partof"
    assert keys((await loaded.search("Observation", deep)).included) == {
        "Patient/p1",
        "Organization/org1",
        "Organization/org0",
    }
    mixed = "_id=org1&_revinclude:iterate=Patient:organization&_revinclude:iterate=Observation:subject"
    assert keys((await loaded.search("Organization", mixed)).included) == {
        "Patient/p1",
        "Observation/o1",
        "Observation/o2",
    }


async def test_included_never_repeats_a_match_nor_a_deleted_resource(loaded: Store) -> None:
    await loaded.put({"resourceType": "Organization", "id": "orgx", "name": "Gone"}, deleted=True)
    await loaded.put(
        {"resourceType": "Patient", "id": "px", "managingOrganization": {"reference": "Organization/orgx"}}
    )
    result = await loaded.search(
        "Patient", "_id=p1,px&_include=Patient:organization&_revinclude=Patient:link"
    )
    assert keys(result.included) == {"Organization/org1"}
    result = await loaded.search("Organization", "_id=org0,org1&_include=Organization:partof")
    assert result.included == []  # org0 is already a match


async def test_sort_by_parameter_values(loaded: Store) -> None:
    assert await loaded.ids("Patient", "_sort=family") == ["p2", "p1", "p3"]  # mueller, muller, smith
    assert await loaded.ids("Patient", "_sort=-family") == ["p3", "p1", "p2"]
    assert await loaded.ids("Patient", "_sort=-birthdate") == ["p3", "p1", "p2"]
    assert await loaded.ids("Patient", "_sort=gender,-birthdate") == ["p3", "p1", "p2"]
    assert await loaded.ids("Observation", "_sort=date") == ["o5", "o1", "o4", "o2", "o3"]
    assert await loaded.ids("Observation", "_sort=subject,-date") == ["o2", "o1", "o3", "o4", "o5"]
    assert await loaded.ids("Observation", "_sort=-value-quantity") == ["o3", "o2", "o1", "o4", "o5"]


async def test_sort_by_id_and_last_updated_and_missing_values_last(store: Store) -> None:
    await store.put({"resourceType": "Patient", "id": "b", "gender": "male"}, updated="2024-03-01T00:00:00Z")
    await store.put({"resourceType": "Patient", "id": "a"}, updated="2024-02-01T00:00:00Z")
    await store.put(
        {"resourceType": "Patient", "id": "c", "gender": "female"}, updated="2024-01-01T00:00:00Z"
    )
    assert await store.ids("Patient", "_sort=-_id") == ["c", "b", "a"]
    assert await store.ids("Patient", "_sort=_lastUpdated") == ["c", "a", "b"]
    assert await store.ids("Patient", "_sort=-_lastUpdated") == ["b", "a", "c"]
    assert await store.ids("Patient", "_sort=gender") == ["c", "b", "a"]
    assert await store.ids("Patient", "_sort=-gender") == ["b", "c", "a"]


async def test_unknown_sort_parameters(loaded: Store) -> None:
    result = await loaded.search("Patient", "_sort=nonsense")
    assert [m.res_id for m in result.matches] == ["p1", "p2", "p3"] and result.issues
