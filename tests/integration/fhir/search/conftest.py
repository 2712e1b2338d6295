"""Fixtures for search tests on both dialects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from search_store import Store

from caremesh.kernel.db import open_database
from caremesh.kernel.db.migrations import migrate


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    db = open_database(database_url, "clinical")
    await db.connect()
    try:
        await migrate(db, "fhir", "caremesh.fhir.storage.migrations")
        yield Store(db)
    finally:
        await db.close()
