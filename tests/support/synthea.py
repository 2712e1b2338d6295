"""The Synthea R4 bundles shipped in tests/data (read in place; nothing is extracted to disk)."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

ARCHIVE = Path(__file__).resolve().parents[1] / "data" / "synthea-r4" / "bundles.tar.gz"


def iter_bundle_bytes(limit: int | None = None) -> Iterator[tuple[str, bytes]]:
    """(file name, raw JSON) of each bundle, in the archive's fixed order."""
    taken = 0
    with tarfile.open(ARCHIVE, "r:gz") as tar:
        for member in tar:
            if not (member.isfile() and member.name.endswith(".json")):
                continue
            stream = tar.extractfile(member)
            assert stream is not None
            yield Path(member.name).name, stream.read()
            taken += 1
            if limit is not None and taken >= limit:
                return


def load_bundles(limit: int | None = None) -> list[dict[str, Any]]:
    return [orjson.loads(raw) for _, raw in iter_bundle_bytes(limit)]
