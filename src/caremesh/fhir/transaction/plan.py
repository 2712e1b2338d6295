"""What each entry of a Bundle will act on, before (or at the start of) its database work.

Ids of created resources are minted up front, so every ``urn:uuid:`` reference can be rewritten
and every resource validated before the transaction writes anything. Conditional creates,
updates and deletes need a search: they are settled at the start of the transaction. Conditional
references are resolved when their entry's phase runs, so they also find what the transaction
wrote before (a Patient created by the same bundle).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from dataclasses import dataclass

import orjson

from caremesh.fhir.conditional import Matcher
from caremesh.fhir.incoming import Incoming, Intake
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.storage.resources import StoredVersion
from caremesh.fhir.transaction.parse import Entry, bundle_error
from caremesh.fhir.transaction.references import conditional_references, rewrite
from caremesh.kernel.db.base import Connection
from caremesh.kernel.ids import new_id

_VERSION_TAG = re.compile(r'\s*(?:W/)?"?([0-9]{1,18})"?\s*')
_JSON_PATCH = "application/json-patch+json"


@dataclass(slots=True)
class Step:
    entry: Entry
    body: bytes | None  # the entry's resource as compact JSON; references rewritten by prepare()
    target: str | None = None  # the id the entry acts on (minted for a create)
    existing: StoredVersion | None = None  # the match of a conditional create: nothing is written
    incoming: Incoming | None = None


def steps_of(entries: list[Entry]) -> list[Step]:
    steps = []
    for entry in entries:
        body = orjson.dumps(entry.resource) if entry.resource is not None else None
        target = new_id() if entry.method == "POST" else entry.resource_id
        steps.append(Step(entry, body, target))
    return steps


def needs_lookup(steps: list[Step]) -> bool:
    """Whether any entry is conditional or holds a conditional reference (a search decides)."""
    for step in steps:
        entry = step.entry
        if entry.if_none_exist or (entry.query and entry.method in ("PUT", "PATCH", "DELETE")):
            return True
        if step.body is not None and b"?" in step.body and conditional_references(step.body):
            return True
    return False


def if_match(entry: Entry) -> int | None:
    if entry.if_match is None:
        return None
    match = _VERSION_TAG.fullmatch(entry.if_match)
    if match is None:
        raise bundle_error(f"ifMatch {entry.if_match[:40]!r} is not a version tag like W/\"3\"",
                           f"{entry.where}.request.ifMatch")  # fmt: skip
    return int(match[1])


def targets(steps: list[Step]) -> dict[str, str]:
    """fullUrl -> ``Type/id`` of every created or updated resource of the bundle."""
    found: dict[str, str] = {}
    for step in steps:
        entry = step.entry
        if entry.full_url is None or step.target is None or entry.method not in ("POST", "PUT"):
            continue
        local = f"{entry.resource_type}/{step.target}"
        found[entry.full_url] = local
        tail = "/".join(entry.full_url.rsplit("/", 2)[-2:])
        if entry.method == "POST" and "://" in entry.full_url and tail.startswith(entry.resource_type + "/"):
            found[tail] = local  # "Patient/temp" meaning this entry, relative to its absolute fullUrl
    return found


async def settle(conn: Connection, matcher: Matcher, steps: list[Step]) -> None:
    """Find what the conditional entries (ifNoneExist, conditional PUT/PATCH/DELETE) act on."""
    for step in steps:
        entry = step.entry
        if entry.method == "POST" and entry.if_none_exist:
            step.existing = await matcher.single(
                conn, entry.resource_type, entry.if_none_exist, "ifNoneExist"
            )
            if step.existing is not None:
                step.target = step.existing.resource_id
        elif entry.query and entry.method in ("PUT", "PATCH", "DELETE"):
            match = await matcher.single(
                conn, entry.resource_type, entry.query, f"conditional {entry.method}"
            )
            step.target = match.resource_id if match is not None else _unmatched_target(step)


def waits_for_search(step: Step) -> bool:
    """Whether the entry's resource holds conditional references, resolved when its phase runs."""
    body = step.body
    return body is not None and step.existing is None and b"?" in body and bool(conditional_references(body))


async def matched_references(
    conn: Connection, matcher: Matcher, step: Step
) -> tuple[dict[str, str], str | None]:
    """(query -> ``Type/id`` of each conditional reference of the entry as the store is now, the
    first query that matches nothing yet: a later write of the transaction may create its match)."""
    found: dict[str, str] = {}
    for query in sorted(conditional_references(step.body or b"")):
        resource_type = query.split("?", 1)[0]
        ids = await matcher.ids(conn, resource_type, query, "conditional reference")
        if len(ids) > 1:
            text = f"conditional reference {query[:120]!r} matches more than one {resource_type}"
            raise FhirError.single(412, "multiple-matches", text, step.entry.where)
        if not ids:
            return found, query
        found[query] = f"{resource_type}/{ids[0]}"
    return found, None


def unmatched(step: Step, query: str) -> FhirError:
    text = f"conditional reference {query[:120]!r} matches no {query.split('?', 1)[0]}"
    return FhirError.single(400, "not-found", text, step.entry.where)


def _unmatched_target(step: Step) -> str | None:
    if step.entry.method != "PUT":
        return None  # nothing to delete or patch
    body_id = orjson.loads(step.body or b"{}").get("id")
    return body_id if isinstance(body_id, str) else new_id()


def prepare(intake: Intake, steps: list[Step], resolved: dict[str, str]) -> None:
    """Rewrite every entry's references and validate its resource (a 400 names the entry)."""
    for step in steps:
        entry = step.entry
        if step.body is None or entry.method == "PATCH" or step.existing is not None:
            continue
        step.body = rewrite(step.body, resolved, f"{entry.where}.resource")
        try:
            step.incoming = _incoming(intake, step)
        except FhirError as error:
            raise in_entry(error, entry) from None


def _incoming(intake: Intake, step: Step) -> Incoming:
    entry, body = step.entry, step.body or b""
    if entry.method == "POST":
        return intake.for_create(body, entry.resource_type)
    if entry.query:
        return intake.for_conditional_update(body, entry.resource_type)
    return intake.for_update(body, entry.resource_type, step.target or "")


def in_entry(error: FhirError, entry: Entry) -> FhirError:
    """``error`` with each issue saying which entry of the bundle it is about."""
    issues = [
        dataclasses.replace(issue, diagnostics=f"{entry.where} ({entry.method} {entry.url[:80]}): "
                            f"{issue.diagnostics}")
        for issue in error.issues
    ]  # fmt: skip
    return FhirError(error.status, issues)


def patch_document(entry: Entry) -> bytes:
    """The JSON Patch a PATCH entry carries as a Binary resource."""
    binary = entry.resource or {}
    if binary.get("contentType") != _JSON_PATCH:
        raise bundle_error(f"a PATCH entry's Binary must have contentType {_JSON_PATCH}",
                           f"{entry.where}.resource.contentType")  # fmt: skip
    try:
        return base64.b64decode(str(binary.get("data", "")), validate=True)
    except (binascii.Error, ValueError):
        raise bundle_error("Binary.data is not base64", f"{entry.where}.resource.data") from None
