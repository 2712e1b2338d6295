"""A transaction Bundle: every entry or none, in ONE database transaction.

Entries run in the order the specification prescribes (DELETE, POST, PUT/PATCH, then GET),
whatever their order in the bundle; the response lists them in the bundle's order. The creates
of the bundle are saved together (one statement per table), which is what makes an import fast.

Conditional references (``Patient?identifier=...``) are resolved when their entry's phase runs,
against the store as this transaction has changed it so far (index rows are written in the same
database transaction, so the search sees them). Creates go in rounds: first those without
conditional references, then, round after round, those whose references now all match one
resource; a round that resolves nothing leaves a reference matching nothing, a 400.
"""

from __future__ import annotations

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.patch import apply_patch
from caremesh.fhir.storage import resources
from caremesh.fhir.transaction.integrity import refuse_missing_targets
from caremesh.fhir.transaction.parse import Entry, bundle_error
from caremesh.fhir.transaction.plan import (
    Step,
    if_match,
    in_entry,
    matched_references,
    needs_lookup,
    patch_document,
    prepare,
    settle,
    steps_of,
    targets,
    unmatched,
    waits_for_search,
)
from caremesh.fhir.transaction.reads import present, read_entry
from caremesh.fhir.transaction.response import Answer
from caremesh.fhir.writes import Contention
from caremesh.kernel.db.base import Connection

_ATTEMPTS = 5
_PHASES = (("DELETE",), ("POST",), ("PUT", "PATCH"), ("GET", "HEAD"))


async def run_transaction(engine: FhirEngine, entries: list[Entry], *, base: str) -> list[Answer]:
    for entry in entries:
        engine.require_type(entry.resource_type)
    steps = steps_of(entries)
    lookup = needs_lookup(steps)
    if not lookup:  # validation is CPU work: done before the transaction when nothing needs a search
        _refuse_shared_targets(steps)
        prepare(engine.intake, steps, targets(steps))
    for _ in range(_ATTEMPTS):
        try:
            async with engine.db.transaction() as conn:
                if lookup:
                    steps = steps_of(entries)  # afresh: a failed attempt's matches are void
                    await settle(conn, engine.matcher, steps)
                    _refuse_shared_targets(steps)
                    prepare(engine.intake, [s for s in steps if not waits_for_search(s)], targets(steps))
                await refuse_missing_targets(conn, steps, engine.resource_types)
                return await _execute(conn, engine, steps, base)
        except Contention:
            continue
    raise FhirError.single(409, "conflict", "resources of the transaction are changing concurrently; retry")


def _refuse_shared_targets(steps: list[Step]) -> None:
    seen: dict[str, int] = {}
    for step in steps:
        entry = step.entry
        if entry.method in ("GET", "HEAD") or step.target is None:
            continue
        key = f"{entry.resource_type}/{step.target}"
        first = seen.setdefault(key, entry.index)
        if first != entry.index:
            raise bundle_error(
                f"entries {first} and {entry.index} both change {key}", f"{entry.where}.request"
            )


async def _execute(conn: Connection, engine: FhirEngine, steps: list[Step], base: str) -> list[Answer]:
    answers: dict[int, Answer] = {}
    for methods in _PHASES:
        phase = [step for step in steps if step.entry.method in methods]
        waiting = [step for step in phase if step.incoming is None and waits_for_search(step)]
        if methods == ("POST",):
            answers.update(await _creates(conn, engine, [s for s in phase if not _among(s, waiting)]))
            answers.update(await _creates_in_rounds(conn, engine, steps, waiting))
            continue
        for step in waiting:
            await _match_references(conn, engine, steps, [step], final=True)
        for step in phase:
            answers[step.entry.index] = await _one(conn, engine, step, base)
    return [answers[step.entry.index] for step in steps]


async def _creates_in_rounds(
    conn: Connection, engine: FhirEngine, steps: list[Step], waiting: list[Step]
) -> dict[int, Answer]:
    answers: dict[int, Answer] = {}
    while waiting:
        ready = await _match_references(conn, engine, steps, waiting, final=False)
        if not ready:  # nothing this transaction still writes can be what they refer to
            await _match_references(conn, engine, steps, waiting[:1], final=True)
        answers.update(await _creates(conn, engine, ready))
        waiting = [step for step in waiting if not _among(step, ready)]
    return answers


def _among(step: Step, steps: list[Step]) -> bool:
    return any(step is other for other in steps)


async def _match_references(
    conn: Connection, engine: FhirEngine, steps: list[Step], waiting: list[Step], *, final: bool
) -> list[Step]:
    """Resolve, rewrite and validate the entries whose conditional references all match one
    resource now; with ``final``, a reference matching nothing is a 400."""
    ready = []
    for step in waiting:
        found, missing = await matched_references(conn, engine.matcher, step)
        if missing is not None:
            if final:
                raise unmatched(step, missing)
            continue
        prepare(engine.intake, [step], {**targets(steps), **found})
        ready.append(step)
    await refuse_missing_targets(conn, steps, engine.resource_types, checked=ready)
    return ready


async def _creates(conn: Connection, engine: FhirEngine, steps: list[Step]) -> dict[int, Answer]:
    answers = {s.entry.index: Answer(200, s.existing) for s in steps if s.existing is not None}
    fresh = [s for s in steps if s.existing is None]
    written = await engine.writer.create_many(
        conn, [(step.incoming, step.target) for step in fresh if step.incoming and step.target]
    )
    answers.update((step.entry.index, Answer(201, w.stored)) for step, w in zip(fresh, written, strict=True))
    return answers


async def _one(conn: Connection, engine: FhirEngine, step: Step, base: str) -> Answer:
    entry = step.entry
    try:
        if entry.method in ("GET", "HEAD"):
            return await read_entry(conn, engine.definitions, entry, base)
        if step.target is None:  # a conditional delete or patch that matched nothing
            if entry.method == "PATCH":
                raise FhirError.single(
                    404, "not-found", f"conditional patch: no {entry.resource_type} matches"
                )
            return Answer(204)
        if entry.method == "DELETE":
            deleted = await engine.writer.delete(
                conn, entry.resource_type, step.target, if_match=if_match(entry)
            )
            return Answer(204, deleted)
        if entry.method == "PATCH":
            return await _patch(conn, engine, step)
        assert step.incoming is not None
        written = await engine.writer.put(
            conn, step.incoming, step.target, method="PUT", if_match=if_match(entry)
        )
        return Answer(201 if written.created else 200, written.stored)
    except FhirError as error:
        raise in_entry(error, entry) from None


async def _patch(conn: Connection, engine: FhirEngine, step: Step) -> Answer:
    entry, target = step.entry, step.target or ""
    stored = present(
        await resources.current(conn, entry.resource_type, target, lock=True),
        f"{entry.resource_type}/{target}",
    )
    expected = if_match(entry)
    if expected is not None and expected != stored.version:
        raise FhirError.single(412, "conflict", f"ifMatch expects version {expected}, not {stored.version}")
    assert stored.body is not None
    patched = apply_patch(stored.body, patch_document(entry))
    incoming = engine.intake.for_update(patched, entry.resource_type, target)
    written = await engine.writer.put(conn, incoming, target, method="PATCH", if_match=expected)
    return Answer(200, written.stored)
