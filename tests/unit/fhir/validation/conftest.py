"""Fixtures for the validation tests: one Validator per session, and real Synthea bundles."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support.synthea import load_bundles

from caremesh.fhir.definitions import load
from caremesh.fhir.validation import Validator

BUNDLES_TAKEN = 6


@pytest.fixture(scope="session")
def validator() -> Validator:
    return Validator(load())


@pytest.fixture(scope="session")
def synthea_bundles() -> list[dict[str, Any]]:
    """The first bundles of the archive shipped in tests/data (its order is fixed)."""
    return load_bundles(BUNDLES_TAKEN)
