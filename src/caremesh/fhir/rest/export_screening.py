"""Segmentation of Bulk export files: the job runs without a recipient, so each file is screened
for the caller who downloads it (the job's owner).

A file without any labelled line is sent as it is. Otherwise the labelled lines are read first
(their patients' consents come in one search) and the file is streamed without the lines the
caller may not receive.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

from fastapi import Response
from fastapi.responses import FileResponse, StreamingResponse

from caremesh.fhir.access.segmentation import may_carry_labels
from caremesh.fhir.rest.guard import Access


def _labelled_lines(path: Path) -> dict[int, bytes]:
    with path.open("rb") as lines:
        return {number: line for number, line in enumerate(lines) if may_carry_labels(line)}


def _kept_lines(path: Path, withheld: set[int]) -> Iterator[bytes]:
    with path.open("rb") as lines:
        yield from (line for number, line in enumerate(lines) if number not in withheld)


async def screened_file(access: Access, path: Path, media_type: str) -> Response:
    if access.disclosures.exempt:
        return FileResponse(path, media_type=media_type)
    labelled = await asyncio.to_thread(_labelled_lines, path)
    if not labelled:
        return FileResponse(path, media_type=media_type)
    await access.prepare_disclosures(list(labelled.values()))
    withheld = {
        number
        for number, line in labelled.items()
        if not access.permits_body(line, disclose=True)[0]
    }
    return access.mark(StreamingResponse(_kept_lines(path, withheld), media_type=media_type))
