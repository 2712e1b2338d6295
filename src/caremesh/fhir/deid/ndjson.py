"""De-identify an NDJSON extract (one resource per line, as Bulk Data export writes it)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from caremesh.fhir.deid.safe_harbor import Deidentifier


@dataclass
class ExtractSummary:
    resources: int = 0
    rejected_lines: list[int] = field(default_factory=list)  # line numbers that were not a resource


def deidentify_lines(
    lines: Iterable[bytes], deidentifier: Deidentifier, summary: ExtractSummary
) -> Iterator[bytes]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            resource = orjson.loads(line)
        except orjson.JSONDecodeError:
            summary.rejected_lines.append(number)
            continue
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            summary.rejected_lines.append(number)
            continue
        summary.resources += 1
        yield orjson.dumps(deidentifier.resource(resource)) + b"\n"


def deidentify_file(source: Path, target: Path, deidentifier: Deidentifier | None = None) -> ExtractSummary:
    """Stream ``source`` into ``target`` (written whole or not at all: a partial extract could
    hold a half-processed line). Lines that are not resources are counted, never copied.

    The files of one extract (a Bulk export writes one per resource type) must share one
    ``deidentifier``, or references between them no longer meet."""
    summary = ExtractSummary()
    deidentifier = deidentifier or Deidentifier()
    partial = target.with_name(target.name + ".partial")
    try:
        with source.open("rb") as reader, partial.open("wb") as writer:
            writer.writelines(deidentify_lines(reader, deidentifier, summary))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return summary
