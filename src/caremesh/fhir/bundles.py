"""Bundles answered by the server (history, searchset), assembled as bytes around stored bodies.

Stored resources are spliced in as they are: a page of 100 resources is never parsed.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from caremesh.fhir.meta import instant
from caremesh.fhir.outcome import Issue, outcome_bytes
from caremesh.fhir.search.engine import SearchResult
from caremesh.fhir.storage.resources import StoredVersion
from caremesh.kernel.clock import utcnow
from caremesh.kernel.ids import new_id

_STATUS = {"POST": "201 Created", "DELETE": "204 No Content"}


def _links(links: dict[str, str]) -> bytes:
    return orjson.dumps([{"relation": relation, "url": url} for relation, url in links.items()])


def bundle(kind: str, links: dict[str, str], entries: Iterable[bytes], total: int | None = None) -> bytes:
    head: dict[str, object] = {
        "resourceType": "Bundle",
        "id": new_id(),
        "meta": {"lastUpdated": instant(utcnow())},
        "type": kind,
    }
    if total is not None:
        head["total"] = total
    opening = orjson.dumps(head)[:-1] + b',"link":' + _links(links)
    joined = b",".join(entries)
    # FHIR JSON has no empty arrays: an empty page has no "entry" at all.
    return opening + (b',"entry":[' + joined + b"]}" if joined else b"}")


def history_entry(base: str, version: StoredVersion) -> bytes:
    reference = f"{version.resource_type}/{version.resource_id}"
    method = version.method or "PUT"
    request = {"method": method, "url": version.resource_type if method == "POST" else reference}
    response = {
        "status": _STATUS.get(method, "200 OK"),
        "etag": version.etag,
        "lastModified": instant(version.last_updated),
    }
    head = orjson.dumps({"fullUrl": f"{base}/{reference}"})[:-1]
    resource = b"" if version.body is None else b',"resource":' + version.body
    return (
        head
        + resource
        + b',"request":'
        + orjson.dumps(request)
        + b',"response":'
        + orjson.dumps(response)
        + b"}"
    )


def search_entry(base: str, resource_type: str, resource_id: str, body: bytes, mode: str) -> bytes:
    head = orjson.dumps({"fullUrl": f"{base}/{resource_type}/{resource_id}"})[:-1]
    return head + b',"resource":' + body + b',"search":{"mode":"' + mode.encode() + b'"}}'


def outcome_entry(issues: list[Issue]) -> bytes:
    return b'{"resource":' + outcome_bytes(issues) + b',"search":{"mode":"outcome"}}'


def searchset(result: SearchResult, base: str) -> bytes:
    """A searchset Bundle: matches, then included resources, then warnings as an OperationOutcome."""
    entries = [search_entry(base, m.res_type, m.res_id, m.body, "match") for m in result.matches]
    entries += [search_entry(base, m.res_type, m.res_id, m.body, "include") for m in result.included]
    if result.issues:
        entries.append(outcome_entry(result.issues))
    return bundle("searchset", result.links, entries, total=result.total)
