"""Authorization of a batch or transaction Bundle, entry by entry, before any entry runs.

Every entry's interaction and type must be allowed, or the whole Bundle is refused (a transaction
is all or nothing; a batch is refused too, so one request never half-succeeds for policy reasons).
A confined caller may only create and update their own resources in a Bundle: reads, deletes,
patches and conditional writes pick their targets inside the engine, where no check can run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from caremesh.fhir.access.policy import Interaction
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.rest.checks import admit_incoming, current_if_any
from caremesh.fhir.rest.guard import Access, Guard

_CHECKED_WRITES = {"POST": Interaction.CREATE, "PUT": Interaction.UPDATE}


@dataclass(frozen=True)
class PlannedEntry:
    interaction: Interaction
    resource_type: str
    resource_id: str | None
    resource: dict[str, Any] | None
    conditional: bool


def _interaction(method: str, path: str, rest: list[str]) -> Interaction:
    if method == "GET":
        if not rest or rest[0].startswith(("$", "_")) or "?" in path:
            return Interaction.HISTORY if "_history" in rest else Interaction.SEARCH
        return Interaction.VREAD if "_history" in rest else Interaction.READ
    if method == "POST":
        return Interaction.SEARCH if rest[:1] == ["_search"] else Interaction.CREATE
    return {"PUT": Interaction.UPDATE, "PATCH": Interaction.PATCH}.get(method, Interaction.DELETE)


def plan(body: bytes, resource_types: frozenset[str]) -> tuple[str, list[PlannedEntry]]:
    """The Bundle's type and what each entry would do; malformed parts are left to the engine,
    which refuses the Bundle before running any entry."""
    try:
        bundle = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "batch", []
    if not isinstance(bundle, dict):
        return "batch", []
    planned = []
    for entry in bundle.get("entry") or []:
        request = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(request, dict) or not isinstance(request.get("url"), str):
            continue
        url = request["url"].split("/_history")[0] if request.get("method") != "GET" else request["url"]
        path = url.split("://", 1)[-1] if "://" in url else url
        segments = [s for s in path.split("?", 1)[0].split("/") if s]
        typed = [i for i, s in enumerate(segments) if s in resource_types]
        if not typed:
            continue
        res_type, rest = segments[typed[-1]], segments[typed[-1] + 1 :]
        method = str(request.get("method", "")).upper()
        resource = entry.get("resource") if isinstance(entry.get("resource"), dict) else None
        conditional = "?" in path or bool(request.get("ifNoneExist"))
        resource_id = rest[0] if rest and not rest[0].startswith(("$", "_")) else None
        planned.append(
            PlannedEntry(_interaction(method, path, rest), res_type, resource_id, resource, conditional)
        )
    return str(bundle.get("type") or "batch"), planned


async def authorize(guard: Guard, engine: FhirEngine, request: Any, entries: list[PlannedEntry]) -> list[str]:
    """Refuses unless every entry is allowed; returns the patients the written resources name."""
    patients: list[str] = []
    for entry in entries:
        target = f"{entry.resource_type}/{entry.resource_id}" if entry.resource_id else entry.resource_type
        access: Access = await guard.allow(request, entry.interaction, entry.resource_type, target)
        if entry.resource is not None:
            patients += access.permits(entry.resource)[1]
        if not access.hides_missing:
            continue
        if entry.interaction not in _CHECKED_WRITES.values() or entry.conditional or entry.resource is None:
            await access.refuse(resource=target)
        if entry.interaction is Interaction.UPDATE and entry.resource_id is not None:
            await current_if_any(access, engine, entry.resource_type, entry.resource_id)
        await admit_incoming(access, orjson.dumps(entry.resource), target)
    return patients
