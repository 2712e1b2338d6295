"""The simplest searches work end to end on both dialects."""

from __future__ import annotations

from search_data import record
from search_store import Store


async def test_type_search_without_parameters_lists_every_live_resource(store: Store) -> None:
    await store.put_all(record())
    assert await store.ids("Patient", []) == ["p1", "p2", "p3"]


async def test_family_and_code(store: Store) -> None:
    await store.put_all(record())
    assert await store.id_set("Patient", "family=mul") == {"p1"}
    assert await store.id_set("Observation", "subject=Patient/p1&code=http://loinc.org|8480-6") == {
        "o1",
        "o2",
    }
