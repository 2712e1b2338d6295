"""The clinical module's demo data: a few Synthea patients loaded as transaction Bundles.

Idempotent: a bundle whose Patient (by its Synthea identifier) is already stored is skipped, so
``caremesh demo load`` can run on every start.
"""

from __future__ import annotations

import tarfile
from collections import Counter
from importlib import resources
from typing import Any

import orjson

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.loading.loader import load_item

ARCHIVE = "synthea-demo.tar.gz"
_DEMO_BASE = "http://localhost/fhir/R4"


def _bundles() -> list[tuple[str, bytes]]:
    archive = resources.files("caremesh.modules.clinical.adapters.demo_data").joinpath(ARCHIVE)
    found: list[tuple[str, bytes]] = []
    with archive.open("rb") as raw, tarfile.open(fileobj=raw, mode="r:gz") as tar:
        for member in tar:
            stream = tar.extractfile(member) if member.isfile() else None
            if stream is not None and member.name.endswith(".json"):
                found.append((member.name.removeprefix("./"), stream.read()))
    return sorted(found)


def _patient_identifier(body: bytes) -> str | None:
    for entry in orjson.loads(body).get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == "Patient":
            for identifier in resource.get("identifier", []):
                if identifier.get("system") and identifier.get("value"):
                    return f"{identifier['system']}|{identifier['value']}"
    return None


async def _already_loaded(engine: FhirEngine, identifier: str | None) -> bool:
    if identifier is None:
        return False
    found = await engine.search("Patient", [("identifier", identifier)], base_url=_DEMO_BASE)
    return bool(found.matches)


async def load_demo(engine: FhirEngine) -> dict[str, Any]:
    loaded: Counter[str] = Counter()
    bundles = _bundles()
    skipped = failed = 0
    for name, body in bundles:
        if await _already_loaded(engine, _patient_identifier(body)):
            skipped += 1
            continue
        result = await load_item(engine, name, body, base=engine.base_url or _DEMO_BASE)
        loaded.update(result.resources)
        failed += bool(result.errors)
    return {"bundles_loaded": len(bundles) - skipped - failed, "bundles_skipped": skipped,
            "bundles_failed": failed, "resources": sum(loaded.values())}  # fmt: skip
