"""Checks of single resources for the guarded interactions: what a confined caller may read or write.

A caller confined to a patient (or holding only granular scopes) may only touch resources that
are in that patient's compartment (and match the restriction) both before and after a write;
for such callers a missing or deleted resource is refused exactly like somebody else's.
"""

from __future__ import annotations

from collections.abc import Awaitable

import orjson

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.patch import apply_patch
from caremesh.fhir.rest.guard import Access
from caremesh.fhir.storage.resources import StoredVersion

_GONE = (404, 410)


async def found(access: Access, reading: Awaitable[StoredVersion], reference: str) -> StoredVersion:
    """The stored version ``reading`` yields, admitted for the caller (refused if not theirs)."""
    try:
        return await reading
    except FhirError as error:
        if error.status in _GONE and access.hides_missing:
            await access.refuse(resource=reference)
        raise


async def current_if_any(
    access: Access, engine: FhirEngine, res_type: str, res_id: str
) -> StoredVersion | None:
    """Before a write by a checked caller: the current version, which must be theirs, or None."""
    try:
        stored = await engine.read(res_type, res_id)
    except FhirError as error:
        if error.status in _GONE:
            return None
        raise
    await access.admit(stored.body, resource=f"{res_type}/{res_id}")
    return stored


async def admit_incoming(access: Access, body: bytes, reference: str) -> tuple[str, ...]:
    """A body about to be written must be the caller's too (an unreadable body is left to the
    engine, which refuses it before anything is stored)."""
    try:
        resource = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ()
    if not isinstance(resource, dict):
        return ()
    allowed, patients = access.permits(resource)
    if not allowed:
        await access.refuse(resource=reference, patients=patients)
    return patients


async def admit_patch(
    access: Access, engine: FhirEngine, res_type: str, res_id: str, patch: bytes, if_match: int | None
) -> int | None:
    """A checked caller's patch: the target and its patched form must both be theirs. Returns the
    version the patch must apply to, so the engine refuses (412) if it changed in between."""
    stored = await current_if_any(access, engine, res_type, res_id)
    if stored is None or stored.body is None:
        await access.refuse(resource=f"{res_type}/{res_id}")
        return None
    await admit_incoming(access, apply_patch(stored.body, patch), f"{res_type}/{res_id}")
    return if_match if if_match is not None else stored.version
