"""Fixtures for the indexing tests: one Indexer per session (compiling every R4 expression once)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caremesh.fhir.definitions import Definitions, load
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.indexing.fhir_types import TypeModel
from caremesh.fhir.indexing.normalize import parse_exact

SYNTHEA_BUNDLE = Path(__file__).parents[3] / "data" / "synthea" / "bundle-0065.json"


@pytest.fixture(scope="session")
def definitions() -> Definitions:
    return load()


@pytest.fixture(scope="session")
def model(definitions: Definitions) -> TypeModel:
    return TypeModel(definitions.schema, definitions.resource_types)


@pytest.fixture(scope="session")
def indexer(definitions: Definitions) -> Indexer:
    return Indexer(definitions, base_url="https://fhir.example.org/fhir/R4")


def _local_references(node: Any, local: dict[str, str]) -> Any:
    """What a transaction does to ``urn:uuid:`` references: they become ``Type/id``."""
    if isinstance(node, dict):
        return {
            key: local.get(value, value) if key == "reference" else _local_references(value, local)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_local_references(item, local) for item in node]
    return node


@pytest.fixture(scope="session")
def synthea_bundle_bytes() -> bytes:
    return SYNTHEA_BUNDLE.read_bytes()


@pytest.fixture(scope="session")
def synthea_resources(synthea_bundle_bytes: bytes) -> list[dict[str, Any]]:
    bundle = parse_exact(synthea_bundle_bytes)
    local = {
        entry["fullUrl"]: f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        for entry in bundle["entry"]
    }
    return [_local_references(entry["resource"], local) for entry in bundle["entry"]]
