"""Search-index extraction speed: ``Indexer.entries`` over real Synthea resources.

Reads the first ``--bundles`` bundles straight from the Synthea tarball in tests/data (no extraction to
disk), rewrites their ``urn:uuid:`` references to ``Type/id`` as a transaction would, and times
``Indexer.entries`` over every resource for ``--rounds`` rounds, for resources parsed by orjson (the
hot path) and by ``parse_exact`` (stdlib json keeping decimal digits). Parsing is not timed; the
one-off cost of building the Indexer (compiling every R4 expression) is reported separately.

    .venv/bin/python bench/fhir_indexing.py [OUTPUT.json] [--bundles 10] [--rounds 3] [--tarball PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import tarfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from caremesh.fhir.definitions import load
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.indexing.normalize import parse_exact

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARBALL = ROOT / "tests" / "data" / "synthea-r4" / "bundles.tar.gz"


def read_bundles(tarball: Path, count: int) -> list[bytes]:
    with tarfile.open(tarball) as archive:
        members = sorted((m for m in archive.getmembers() if m.name.endswith(".json")), key=lambda m: m.name)
        return [archive.extractfile(member).read() for member in members[:count]]  # type: ignore[union-attr]


def local_references(text: bytes) -> bytes:
    """A transaction turns ``urn:uuid:X`` references into ``Type/X``; do the same on the bytes."""
    bundle = orjson.loads(text)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        text = text.replace(
            entry["fullUrl"].encode(), f"{resource['resourceType']}/{resource['id']}".encode()
        )
    return text


def resources(bundles: list[bytes], parse: Any) -> list[dict[str, Any]]:
    return [entry["resource"] for text in bundles for entry in parse(text)["entry"]]


def time_entries(indexer: Indexer, items: list[dict[str, Any]], rounds: int) -> dict[str, float]:
    indexer.entries(items[0])  # warm the date cache's first miss out of the timing
    produced = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for resource in items:
            produced += len(indexer.entries(resource))
    elapsed = time.perf_counter() - started
    return {
        "resources_per_s": round(len(items) * rounds / elapsed),
        "entries_per_s": round(produced / elapsed),
        "entries_per_resource": round(produced / (len(items) * rounds), 1),
        "microseconds_per_resource": round(elapsed / (len(items) * rounds) * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path)
    parser.add_argument("--bundles", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tarball", type=Path, default=DEFAULT_TARBALL)
    args = parser.parse_args()

    bundles = [local_references(text) for text in read_bundles(args.tarball, args.bundles)]
    definitions = load()
    started = time.perf_counter()
    indexer = Indexer(definitions)
    build_seconds = time.perf_counter() - started
    fast, exact = resources(bundles, orjson.loads), resources(bundles, parse_exact)
    result = {
        "benchmark": "fhir_indexing",
        "python": platform.python_version(),
        "bundles": len(bundles),
        "resources": len(fast),
        "resource_types": dict(Counter(r["resourceType"] for r in fast).most_common()),
        "indexer_build_seconds": round(build_seconds, 3),
        "orjson": time_entries(indexer, fast, args.rounds),
        "parse_exact": time_entries(indexer, exact, args.rounds),
    }
    print(json.dumps(result, indent=2))
    if args.output:
        args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
