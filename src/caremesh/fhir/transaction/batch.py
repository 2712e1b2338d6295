"""A batch Bundle: independent entries, each in its own transaction with its own outcome.

One failing entry never fails the batch: its response carries the status and OperationOutcome,
and the other entries go on.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import orjson
import structlog

from caremesh.fhir.bundles import searchset
from caremesh.fhir.conditional import without_nul
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.ids import parse_version
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.transaction.parse import Entry
from caremesh.fhir.transaction.plan import if_match, patch_document
from caremesh.fhir.transaction.response import Answer

log = structlog.get_logger(__name__)


async def run_batch(engine: FhirEngine, entries: list[Entry], *, base: str) -> list[Answer]:
    return [await _settled(engine, entry, base) for entry in entries]


async def _settled(engine: FhirEngine, entry: Entry, base: str) -> Answer:
    try:
        engine.require_type(entry.resource_type)
        return await _run(engine, entry, base)
    except FhirError as error:
        return Answer(error.status, error=error, wrote=False)
    except Exception:  # one entry's fault must not fail the others: it is answered and logged
        log.exception("fhir batch entry failed", entry=entry.index)
        failure = FhirError.single(500, "exception", "the server failed to process this entry")
        return Answer(500, error=failure, wrote=False)


async def _run(engine: FhirEngine, entry: Entry, base: str) -> Answer:
    kind, rid = entry.resource_type, entry.resource_id
    body = orjson.dumps(entry.resource) if entry.resource is not None else b""
    match entry.method:
        case "GET" | "HEAD":
            return await _read(engine, entry, base)
        case "POST":
            written = await engine.create(kind, body, if_none_exist=entry.if_none_exist)
        case "PUT" if rid is not None:
            written = await engine.update(kind, rid, body, if_match=if_match(entry))
        case "PUT":
            written = await engine.conditional_update(kind, entry.query or "", body, if_match=if_match(entry))
        case "PATCH" if rid is not None:
            written = await engine.patch(kind, rid, patch_document(entry), if_match=if_match(entry))
        case "PATCH":
            document = patch_document(entry)
            written = await engine.conditional_patch(
                kind, entry.query or "", document, if_match=if_match(entry)
            )
        case _ if rid is not None:
            return Answer(204, await engine.delete(kind, rid, if_match=if_match(entry)))
        case _:
            return Answer(204, await engine.conditional_delete(kind, entry.query or ""))
    return Answer(201 if written.created else 200, written.stored)


async def _read(engine: FhirEngine, entry: Entry, base: str) -> Answer:
    kind, rid = entry.resource_type, entry.resource_id
    if rid is None:
        params = without_nul(parse_qsl(entry.query or "", keep_blank_values=True))
        result = await engine.search(kind, params, base_url=base)
        return Answer(200, body=searchset(result, base), wrote=False)
    if entry.version is not None:
        return Answer(200, await engine.vread(kind, rid, parse_version(entry.version)), wrote=False)
    return Answer(200, await engine.read(kind, rid), wrote=False)
