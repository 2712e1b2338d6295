"""On PostgreSQL the searches the benchmarks time use the lookup indexes, never a sequential scan.

A synthetic store of 5,000 patients and 60,000 observations is generated in SQL, analysed, and
the page statement of each search is EXPLAINed with its bound values.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from search_store import BASE_URL, DEFINITIONS

from caremesh.fhir.search.engine import page_sql
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate

pytestmark = pytest.mark.postgres

OBSERVATIONS = "FROM generate_series(1, 60000) i"
GENERATE = [
    "INSERT INTO fhir_resource SELECT 'Patient', 'p' || i, 1, now(), 0, '{}'::bytea "
    "FROM generate_series(1, 5000) i",
    f"INSERT INTO fhir_resource SELECT 'Observation', 'o' || i, 1, now(), 0, '{{}}'::bytea {OBSERVATIONS}",
    "INSERT INTO fhir_sp_string SELECT 'Patient', 'p' || i, 'family', 'fam' || i, 'Fam' || i "
    "FROM generate_series(1, 5000) i",
    "INSERT INTO fhir_sp_reference SELECT 'Observation', 'o' || i, 'subject', 'Patient', "
    f"'p' || (i % 5000 + 1), NULL {OBSERVATIONS}",
    "INSERT INTO fhir_sp_token SELECT 'Observation', 'o' || i, 'code', 'http://loinc.org', "
    f"'c' || (i % 40), NULL {OBSERVATIONS}",
    f"INSERT INTO fhir_sp_token SELECT 'Observation', 'o' || i, 'status', NULL, 'final', NULL {OBSERVATIONS}",
    "INSERT INTO fhir_sp_date SELECT 'Observation', 'o' || i, 'date', t, t + interval '999999 microseconds' "
    f"FROM (SELECT i, timestamptz '2020-01-01' + i * interval '17 minutes' AS t {OBSERVATIONS}) g",
    "ANALYZE",
]


@pytest.fixture
async def big(postgres_url: str) -> AsyncIterator[Database]:
    db = open_database(postgres_url, "clinical")
    await db.connect()
    try:
        await migrate(db, "fhir", "caremesh.fhir.storage.migrations")
        async with db.transaction() as conn:
            for statement in GENERATE:
                await conn.execute(statement)
        yield db
    finally:
        await db.close()


def nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in nodes(child))]


async def plan_of(db: Database, resource_type: str, params: list[tuple[str, str]]) -> list[dict[str, Any]]:
    async with db.read() as conn:
        sql, args = page_sql(
            conn, definitions=DEFINITIONS, resource_type=resource_type, params=params, base_url=BASE_URL
        )
        raw = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    return nodes(orjson.loads(raw)[0]["Plan"])


def assert_indexed(plan: list[dict[str, Any]], *indexes: str) -> None:
    """The index tables are only read through indexes, and the named ones are among them."""
    scanned = [n.get("Relation Name", "") for n in plan if n["Node Type"] == "Seq Scan"]
    assert not [name for name in scanned if name.startswith("fhir_sp_")], scanned
    used = {n.get("Index Name") for n in plan}
    for index in indexes:
        assert index in used, (index, used)


async def test_observations_by_subject_and_code(big: Database) -> None:
    plan = await plan_of(big, "Observation", [("subject", "Patient/p42"), ("code", "http://loinc.org|c2")])
    assert_indexed(plan, "fhir_sp_reference_lookup")


async def test_patients_by_family(big: Database) -> None:
    assert_indexed(await plan_of(big, "Patient", [("family", "fam12")]), "fhir_sp_string_lookup")


async def test_observations_in_a_date_range(big: Database) -> None:
    plan = await plan_of(big, "Observation", [("date", "ge2020-03-01"), ("date", "lt2020-03-02")])
    assert_indexed(plan, "fhir_sp_date_lookup")


async def test_chained_search(big: Database) -> None:
    plan = await plan_of(big, "Observation", [("subject:Patient.family", "fam12"), ("code", "c2")])
    assert_indexed(plan, "fhir_sp_string_lookup")
