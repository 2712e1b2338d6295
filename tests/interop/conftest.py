"""One real server process per dialect for the whole session, shared by every interop test.

Starting a server takes seconds, so the tests share it and keep apart by their own data
(unique names and identifiers), never by wiping the store.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from interop_server import FhirServer, server_for

from caremesh.fhir.definitions import load
from caremesh.fhir.validation.validator import Validator


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    dialect = str(request.param)
    with server_for(dialect, tmp_path_factory.mktemp(f"interop-{dialect}")) as running:
        yield running


@pytest.fixture(scope="session")
def validator() -> Validator:
    return Validator(load())
