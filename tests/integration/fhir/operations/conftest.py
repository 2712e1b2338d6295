"""A running clinical process on both dialects, for the FHIR operations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.integration.fhir.rest.fhir_rest_harness import FhirApp, running


@pytest.fixture
async def fhir(database_url: str) -> AsyncIterator[FhirApp]:
    async with running(database_url) as app:
        yield app
