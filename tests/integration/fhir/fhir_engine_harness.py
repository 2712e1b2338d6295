"""A FhirEngine on a freshly migrated store (SQLite or PostgreSQL), without the REST layer.

Tests of engine features (transactions, operations) use it so that they do not depend on the
HTTP routes, which carry authorization and audit of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.transaction.process import run_bundle
from caremesh.fhir.transaction.response import Answer
from caremesh.kernel.db import open_database
from caremesh.kernel.db.migrations import migrate

BASE = "http://fhir.test/fhir/R4"


@asynccontextmanager
async def engine_on(database_url: str) -> AsyncIterator[FhirEngine]:
    db = open_database(database_url, "clinical")
    await db.connect()
    try:
        await migrate(db, "fhir", "caremesh.fhir.storage.migrations")
        yield FhirEngine(db, base_url=BASE)
    finally:
        await db.close()


async def create(engine: FhirEngine, resource: dict[str, Any]) -> str:
    """Create ``resource``; its new id."""
    written = await engine.create(resource["resourceType"], orjson.dumps(resource))
    return written.stored.resource_id


async def transaction(engine: FhirEngine, *entries: dict[str, Any]) -> list[Answer]:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}
    return (await run_bundle(engine, orjson.dumps(bundle), base=BASE)).answers


async def body_of(engine: FhirEngine, resource_type: str, resource_id: str) -> dict[str, Any]:
    stored = await engine.read(resource_type, resource_id)
    return dict(orjson.loads(stored.body or b"{}"))


async def count(engine: FhirEngine, resource_type: str) -> int:
    async with engine.db.read() as conn:
        return int(await conn.fetchval(
            "SELECT COUNT(*) FROM fhir_resource WHERE res_type = $1 AND deleted = 0", resource_type
        ))  # fmt: skip
