"""Index rows of every entry type written in one batch and removed again, on both dialects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from caremesh.fhir.indexing.entries import (
    CompositeEntry,
    DateEntry,
    IndexEntry,
    NumberEntry,
    QuantityEntry,
    ReferenceEntry,
    StringEntry,
    TokenEntry,
    UriEntry,
)
from caremesh.fhir.indexing.normalize import MAX_DATE, MIN_DATE
from caremesh.fhir.storage.index_rows import TABLES, delete_entries, write_entries
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate

LOW = datetime(2024, 3, 1, tzinfo=UTC)
HIGH = datetime(2024, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
CODE = TokenEntry("code", "http://loinc.org", "8480-6")
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
MMHG = (UCUM, "mm[Hg]", "mmHg", Decimal("120"), Decimal("119.5"), Decimal("120.5"))
ENTRIES: list[IndexEntry] = [
    StringEntry("name", "zoe", "Zoë"),
    CODE,
    TokenEntry("status", None, "final", "Final"),
    DateEntry("date", LOW, HIGH),
    DateEntry("period", MIN_DATE, MAX_DATE),
    NumberEntry("probability", Decimal("0.25"), Decimal("0.245"), Decimal("0.255")),
    QuantityEntry("value-quantity", *MMHG),
    ReferenceEntry("subject", "Patient", "pat-1"),
    ReferenceEntry("based-on", None, None, "http://elsewhere.example.org/fhir/CarePlan/9"),
    UriEntry("instantiates", "http://example.org/Protocol/1"),
    CompositeEntry("code-value-quantity", (CODE, QuantityEntry("code-value-quantity", *MMHG))),
    CompositeEntry("code-value-date", (CODE, DateEntry("code-value-date", LOW, HIGH))),
    CompositeEntry("code-value-concept", (CODE, TokenEntry("code-value-concept", SNOMED, "hi"))),
]  # fmt: skip


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url, "clinical")
    await database.connect()
    await migrate(database, "fhir", "caremesh.fhir.storage.migrations")
    try:
        yield database
    finally:
        await database.close()


async def _counts(db: Database, res_id: str) -> dict[str, int]:
    async with db.read() as conn:
        return {
            table: int(await conn.fetchval(f"SELECT COUNT(*) FROM {table} WHERE res_id = $1", res_id))
            for table in TABLES
        }


async def test_every_entry_type_lands_in_its_table(db: Database) -> None:
    async with db.transaction() as conn:
        await write_entries(conn, "Observation", "obs-1", ENTRIES)
        await write_entries(conn, "Observation", "obs-2", ENTRIES[:1])
    assert await _counts(db, "obs-1") == {
        "fhir_sp_string": 1, "fhir_sp_token": 2, "fhir_sp_date": 2, "fhir_sp_number": 1,
        "fhir_sp_quantity": 1, "fhir_sp_reference": 2, "fhir_sp_uri": 1, "fhir_sp_composite": 3,
    }  # fmt: skip
    async with db.read() as conn:
        # Open ends compare below and above every real date (PostgreSQL stores them as +-infinity).
        open_ended = await conn.fetchval(
            "SELECT COUNT(*) FROM fhir_sp_date "
            "WHERE res_id = 'obs-1' AND param = 'period' AND low < $1 AND high > $2",
            datetime(1000, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        )
        quantity = await conn.fetchrow(
            "SELECT c1_code, c2_system, c2_code, c2_text, c2_low, c2_high FROM fhir_sp_composite "
            "WHERE res_id = 'obs-1' AND param = 'code-value-quantity'"
        )
        dated = await conn.fetchval(
            "SELECT c2_date_low FROM fhir_sp_composite WHERE res_id = 'obs-1' AND param = 'code-value-date'"
        )
        url = await conn.fetchval(
            "SELECT url FROM fhir_sp_reference WHERE res_id = 'obs-1' AND target_id IS NULL"
        )
    assert open_ended == 1
    assert quantity is not None and tuple(quantity)[:4] == ("8480-6", UCUM, "mm[Hg]", "mmHg")
    assert float(quantity["c2_low"]) == 119.5 and float(quantity["c2_high"]) == 120.5
    assert dated == LOW
    assert url == "http://elsewhere.example.org/fhir/CarePlan/9"


async def test_delete_entries_removes_only_that_resource(db: Database) -> None:
    async with db.transaction() as conn:
        await write_entries(conn, "Observation", "obs-1", ENTRIES)
        await write_entries(conn, "Observation", "obs-2", ENTRIES)
        await write_entries(conn, "Observation", "obs-3", [])
    async with db.transaction() as conn:
        await delete_entries(conn, "Observation", "obs-1")
    assert set((await _counts(db, "obs-1")).values()) == {0}
    assert sum((await _counts(db, "obs-2")).values()) == len(ENTRIES)
