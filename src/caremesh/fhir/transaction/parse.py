"""A posted batch or transaction Bundle, checked and split into its entries before anything runs.

The Bundle is parsed once with every number kept as its raw text, so each entry's resource is
re-serialised exactly as the client wrote it (``1.50`` stays ``1.50``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from caremesh.fhir.ids import is_valid_id
from caremesh.fhir.meta import exact_tree
from caremesh.fhir.outcome import FhirError

KINDS = ("transaction", "batch")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_TYPE = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")


@dataclass(slots=True)
class Entry:
    index: int
    method: str
    url: str  # relative to the base: "Patient", "Patient/1", "Patient?identifier=a|b"
    resource_type: str
    resource_id: str | None = None
    version: str | None = None  # GET Type/id/_history/vid
    query: str | None = None  # the part after "?" (search, conditional update/delete)
    full_url: str | None = None
    resource: dict[str, Any] | None = None  # the exact tree (numbers as raw fragments)
    if_none_exist: str | None = None
    if_match: str | None = None

    @property
    def where(self) -> str:
        return f"Bundle.entry[{self.index}]"


def bundle_error(text: str, *expression: str, status: int = 400, code: str = "invalid") -> FhirError:
    return FhirError.single(status, code, text, *expression)


def parse_bundle(body: bytes, base: str) -> tuple[str, list[Entry]]:
    """(``transaction`` | ``batch``, entries); a 400 naming the problem for a malformed Bundle."""
    if not body.strip():
        raise bundle_error("the request has no body: a batch or transaction Bundle is expected")
    try:
        orjson.loads(body)  # strict JSON first: the exact parser accepts NaN and friends
        tree = exact_tree(body)
    except (orjson.JSONDecodeError, ValueError):
        raise bundle_error("the body is not a JSON object (a Bundle)", code="structure") from None
    if tree.get("resourceType") != "Bundle":
        raise bundle_error("only a Bundle can be posted to the service base", "resourceType")
    kind = tree.get("type")
    if kind not in KINDS:
        shown = str(kind)[:40]
        raise bundle_error(f"Bundle.type must be transaction or batch, not {shown!r}", "Bundle.type")
    raw_entries = tree.get("entry", [])
    if not isinstance(raw_entries, list):
        raise bundle_error("Bundle.entry must be an array", "Bundle.entry", code="structure")
    entries = [_entry(index, raw, base) for index, raw in enumerate(raw_entries)]
    _refuse_duplicate_full_urls(entries)
    return kind, entries


def _entry(index: int, raw: Any, base: str) -> Entry:
    where = f"Bundle.entry[{index}]"
    if not isinstance(raw, dict):
        raise bundle_error("an entry must be an object", where, code="structure")
    request = raw.get("request")
    if not isinstance(request, dict):
        raise bundle_error("the entry has no request (method and url)", f"{where}.request", code="required")
    method, url = request.get("method"), request.get("url")
    if method not in METHODS:
        raise bundle_error(f"request.method must be one of {', '.join(METHODS)}", f"{where}.request.method")
    if not isinstance(url, str) or not url:
        raise bundle_error("request.url is required", f"{where}.request.url", code="required")
    entry = _target(index, method, _relative(url, base, where), where)
    entry.full_url = _optional_string(raw, "fullUrl", where)
    entry.if_none_exist = _optional_string(request, "ifNoneExist", f"{where}.request")
    entry.if_match = _optional_string(request, "ifMatch", f"{where}.request")
    resource = raw.get("resource")
    if method in ("POST", "PUT", "PATCH"):
        entry.resource = _resource(resource, entry, where)
    return entry


def _optional_string(holder: dict[str, Any], name: str, where: str) -> str | None:
    value = holder.get(name)
    if value is not None and not isinstance(value, str):
        raise bundle_error(f"{name} must be a string", f"{where}.{name}", code="structure")
    return value


def _relative(url: str, base: str, where: str) -> str:
    if url.startswith(base + "/"):
        return url[len(base) + 1 :]
    if urlsplit(url).scheme:
        raise bundle_error(f"request.url {url[:80]!r} is not on this server", f"{where}.request.url")
    return url.lstrip("/")


def _target(index: int, method: str, url: str, where: str) -> Entry:
    path, _, query = url.partition("?")
    parts = path.split("/")
    entry = Entry(index, method, url, parts[0], query=query or None)
    reading = method in ("GET", "HEAD")
    history = len(parts) == 4 and parts[2] == "_history" and reading
    if not _TYPE.fullmatch(parts[0]) or len(parts) not in (1, 2, 4) or (len(parts) == 4 and not history):
        raise bundle_error(f"request.url {url[:80]!r} is not a supported form", f"{where}.request.url")
    if method == "POST" and (len(parts) != 1 or entry.query):
        raise bundle_error(
            "POST creates in a type: request.url must be just the type", f"{where}.request.url"
        )
    if len(parts) == 1:
        _check_type_level(entry, where)
        return entry
    if entry.query and not reading:
        raise bundle_error("request.url names an id and criteria at once", f"{where}.request.url")
    if not is_valid_id(parts[1]):
        raise bundle_error(f"request.url {url[:80]!r} has an invalid id", f"{where}.request.url")
    entry.resource_id = parts[1]
    entry.version = parts[3] if history else None
    return entry


def _check_type_level(entry: Entry, where: str) -> None:
    if entry.method in ("PUT", "PATCH", "DELETE") and not entry.query:
        raise bundle_error(
            f"{entry.method} needs an id or search criteria in request.url", f"{where}.request.url"
        )


def _resource(resource: Any, entry: Entry, where: str) -> dict[str, Any]:
    if not isinstance(resource, dict):
        raise bundle_error(f"a {entry.method} entry needs a resource", f"{where}.resource", code="required")
    declared = resource.get("resourceType")
    expected = "Binary" if entry.method == "PATCH" else entry.resource_type
    if entry.method == "PATCH" and declared == "Parameters":
        raise bundle_error("FHIRPath Patch is not supported: send a Binary JSON Patch", f"{where}.resource",
                           status=400, code="not-supported")  # fmt: skip
    if declared != expected:
        raise bundle_error(
            f"resourceType {str(declared)[:60]!r} does not match {expected!r} of request.url",
            f"{where}.resource.resourceType",
        )
    return resource


def _refuse_duplicate_full_urls(entries: list[Entry]) -> None:
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.full_url is None:
            continue
        first = seen.setdefault(entry.full_url, entry.index)
        if first != entry.index:
            raise bundle_error(
                f"fullUrl {entry.full_url[:80]!r} appears in entries {first} and {entry.index}",
                f"{entry.where}.fullUrl",
            )
