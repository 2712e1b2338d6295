"""Reindexing re-derives index rows from stored bodies: rows written before the index kept
Identifier types (or the newer composite columns) answer :of-type once reindexed."""

from __future__ import annotations

from search_store import Store, indexer

from caremesh.fhir.storage.index_rows import TABLES
from caremesh.fhir.storage.reindex import reindex

V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def _patient(pid: str, code: str) -> dict[str, object]:
    kind = {"coding": [{"system": V2, "code": code}]}
    return {"resourceType": "Patient", "id": pid, "identifier": [{"type": kind, "value": "123"}]}


async def _row_counts(store: Store) -> dict[str, int]:
    async with store.db.read() as conn:
        return {table: int(await conn.fetchval(f"SELECT COUNT(*) FROM {table}")) for table in TABLES}


async def test_reindex_fills_what_old_rows_lack_without_duplicating(store: Store) -> None:
    await store.put_all([_patient(f"p{i}", "MR" if i % 2 else "DL") for i in range(7)])
    await store.put({"resourceType": "Patient", "id": "gone", "identifier": [{"value": "123"}]}, deleted=True)
    await store.put({"resourceType": "Organization", "id": "o1", "name": "Clinic"})
    assert await reindex(store.db, indexer()) == 8  # every type: 7 patients and the organization
    before = await _row_counts(store)  # (the store's own writes do not index meta.lastUpdated)
    async with store.db.transaction() as conn:  # as rows written before migration 0003 look
        await conn.execute("UPDATE fhir_sp_token SET type_system = NULL, type_code = NULL")
    query = f"identifier:of-type={V2}|MR|123"
    assert await store.id_set("Patient", query) == set()

    pages: list[int] = []
    done = await reindex(store.db, indexer(), resource_types=["Patient"], page_size=3, on_page=pages.append)

    assert done == 7 and pages == [3, 3, 1]  # deleted resources are not reindexed
    assert await store.id_set("Patient", query) == {"p1", "p3", "p5"}
    assert await _row_counts(store) == before
