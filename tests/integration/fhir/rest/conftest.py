"""A running clinical process on both dialects, driven through its FHIR REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fhir_rest_harness import FhirApp, running


@pytest.fixture
async def fhir(database_url: str) -> AsyncIterator[FhirApp]:
    async with running(database_url) as app:
        yield app
