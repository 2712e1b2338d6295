"""Segmentation of a batch or transaction response: reads run inside the engine, so what they
returned is screened afterwards.

An entry answering a GET or PATCH whose resource carries a sensitive label the caller may not
receive becomes a 403 entry with the usual refusal; a search entry (a nested searchset Bundle) loses
the withheld resources and its total. Entries answering the caller's own creates and updates are
left alone: they carry what the caller sent.
"""

from __future__ import annotations

from typing import Any

import orjson

from caremesh.fhir.access.segmentation import may_carry_labels
from caremesh.fhir.rest.guard import DENIED, Access

_SCREENED_METHODS = frozenset({"GET", "PATCH"})
_REFUSED = {
    "status": "403 Forbidden",
    "outcome": {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "forbidden", "diagnostics": DENIED}],
    },
}


async def screen_bundle_answer(access: Access, request_body: bytes, answer: bytes) -> bytes:
    if access.disclosures.exempt or not may_carry_labels(answer):
        return answer  # nothing labelled in it: send the engine's bytes untouched
    response = orjson.loads(answer)
    methods = _methods(request_body)
    entries = response.get("entry") if isinstance(response, dict) else None
    if not isinstance(entries, list):
        return answer
    screened = [
        (entry, _resources(entry.get("resource")))
        for index, entry in enumerate(entries)
        if isinstance(entry, dict) and index < len(methods) and methods[index] in _SCREENED_METHODS
    ]
    bodies = [orjson.dumps(r) for _, found in screened for r in found]
    await access.prepare_disclosures(bodies)
    for entry, _ in screened:
        _screen_entry(access, entry)
    return orjson.dumps(response)


def _screen_entry(access: Access, entry: dict[str, Any]) -> None:
    resource = entry.get("resource")
    if not isinstance(resource, dict):
        return
    if resource.get("resourceType") == "Bundle":
        inner = [e for e in resource.get("entry") or [] if isinstance(e, dict)]
        kept = [
            e for e in inner if not isinstance(e.get("resource"), dict) or _allowed(access, e["resource"])
        ]
        if len(kept) != len(inner):
            resource["entry"] = kept
            resource.pop("total", None)  # it would tell how many were withheld
        return
    if not _allowed(access, resource):
        entry.pop("resource", None)
        entry["response"] = dict(_REFUSED)


def _allowed(access: Access, resource: dict[str, Any]) -> bool:
    patients = access.guard.membership.patients(resource)
    return access.disclosures.allows(resource, patients)


def _resources(resource: Any) -> list[dict[str, Any]]:
    if not isinstance(resource, dict):
        return []
    if resource.get("resourceType") != "Bundle":
        return [resource]
    return [e["resource"] for e in resource.get("entry") or [] if isinstance(e.get("resource"), dict)]


def _methods(request_body: bytes) -> list[str]:
    try:
        bundle = orjson.loads(request_body)
    except orjson.JSONDecodeError:
        return []
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    return [
        str((e.get("request") or {}).get("method", "")).upper() if isinstance(e, dict) else ""
        for e in entries or []
    ]
