"""Load one item (a Bundle or NDJSON) into an engine and say what happened.

A transaction Bundle commits whole or not at all; a batch Bundle goes entry by entry.
NDJSON lines become Bundle entries, ``PUT Type/id`` for a resource with an id (loaded with the
id it has), ``POST Type`` for one without, committed in chunks (see :func:`_load_chunk`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.loading.sources import is_ndjson
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.transaction.process import Processed, run_bundle

NDJSON_CHUNK = 500  # lines per batch: bounded memory for files of any length


@dataclass
class ItemResult:
    name: str
    resources: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def _describe(error: FhirError) -> str:
    """The OperationOutcome as one line: status, then each issue with where it is."""
    issues = (
        issue.diagnostics + (f" (at {', '.join(issue.expression)})" if issue.expression else "")
        for issue in error.issues
    )
    return f"{error.status}: " + "; ".join(issues)


async def load_item(engine: FhirEngine, name: str, content: bytes, *, base: str) -> ItemResult:
    result = ItemResult(name)
    if is_ndjson(name):
        for lines, entries in ndjson_chunks(content, result):
            await _load_chunk(engine, lines, entries, result, base)
        return result
    try:
        processed = await run_bundle(engine, content, base=base)
    except FhirError as error:
        result.errors.append(_describe(error))
        return result
    _record(result, processed, [f"entry {index}" for index in range(len(processed.answers))])
    return result


async def _load_chunk(
    engine: FhirEngine, lines: list[int], entries: list[bytes], result: ItemResult, base: str
) -> None:
    """A chunk of lines commits as one transaction; if any line fails, the chunk is loaded again
    line by line (a batch), so the good lines are kept and each bad one is named."""
    try:
        processed = await run_bundle(engine, _bundle("transaction", entries), base=base)
    except FhirError:
        processed = await run_bundle(engine, _bundle("batch", entries), base=base)
    _record(result, processed, [f"line {number}" for number in lines])


def _record(result: ItemResult, processed: Processed, labels: list[str]) -> None:
    for label, answer in zip(labels, processed.answers, strict=True):
        if answer.error is not None:
            result.errors.append(f"{label}: {_describe(answer.error)}")
        elif answer.stored is not None and answer.wrote:
            result.resources[answer.stored.resource_type] += 1


def _bundle(kind: str, entries: list[bytes]) -> bytes:
    return b'{"resourceType":"Bundle","type":"%s","entry":[%s]}' % (kind.encode(), b",".join(entries))


def ndjson_chunks(content: bytes, result: ItemResult) -> list[tuple[list[int], list[bytes]]]:
    """(line numbers, Bundle entries) per chunk of lines; unreadable lines become errors."""
    lines: list[int] = []
    entries: list[bytes] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        entry = _ndjson_entry(line)
        if entry is None:
            result.errors.append(f"line {number}: not a JSON object with a resourceType")
        else:
            lines.append(number)
            entries.append(entry)
    return [
        (lines[i : i + NDJSON_CHUNK], entries[i : i + NDJSON_CHUNK])
        for i in range(0, len(entries), NDJSON_CHUNK)
    ]


def _ndjson_entry(line: bytes) -> bytes | None:
    try:
        resource = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return None
    kind, resource_id = resource["resourceType"], resource.get("id")
    if isinstance(resource_id, str) and resource_id:
        request = {"method": "PUT", "url": f"{kind}/{resource_id}"}
    else:
        request = {"method": "POST", "url": kind}
    # The line's own bytes are kept, so its numbers are loaded exactly as written.
    return b'{"resource":' + line.strip() + b',"request":' + orjson.dumps(request) + b"}"


async def load_all(
    engine: FhirEngine,
    items: Iterable[tuple[str, bytes]],
    *,
    base: str,
    concurrency: int,
    on_loaded: Callable[[ItemResult], None],
) -> list[ItemResult]:
    """Load ``items`` with up to ``concurrency`` in flight (one's SQL overlaps another's parsing);
    at most twice that many are read ahead, so memory stays bounded."""
    queue: asyncio.Queue[tuple[str, bytes] | None] = asyncio.Queue(maxsize=2 * concurrency)
    results: list[ItemResult] = []

    async def worker() -> None:
        while (item := await queue.get()) is not None:
            result = await load_item(engine, item[0], item[1], base=base)
            results.append(result)
            on_loaded(result)

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, concurrency))]
    try:
        for item in items:
            await queue.put(item)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return results
