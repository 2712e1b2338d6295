"""HTTP details of the FHIR REST API: media types, bodies, versions in headers, base URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime

from fastapi import Request

from caremesh.fhir.outcome import FhirError

FHIR_JSON = "application/fhir+json"
PLAIN_JSON = "application/json"
JSON_PATCH = "application/json-patch+json"
_RESOURCE_TYPES = frozenset({FHIR_JSON, PLAIN_JSON, "application/json+fhir"})
_JSON_FORMATS = frozenset({"json", FHIR_JSON, PLAIN_JSON, "application/json+fhir", "text/json"})
_ACCEPTABLE = frozenset({FHIR_JSON, PLAIN_JSON, "application/json+fhir", "application/*", "*/*", "text/json"})
_VERSION_TAG = re.compile(r'\s*(?:W/)?"?([0-9]{1,18})"?\s*')


def media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def response_type(request: Request) -> str:
    """The JSON flavour to answer with (``_format`` wins over Accept); 406 for anything but JSON."""
    wanted = request.query_params.get("_format")
    if wanted is not None:
        if wanted.strip().lower() not in _JSON_FORMATS:
            raise FhirError.single(
                406, "not-supported", f"_format {wanted[:40]!r} is not supported: use json"
            )
        return PLAIN_JSON if media_type(wanted) == PLAIN_JSON else FHIR_JSON
    accept = request.headers.get("accept")
    if not accept:
        return FHIR_JSON
    offered = {media_type(item) for item in accept.split(",")}
    if offered & _ACCEPTABLE or "" in offered:
        return PLAIN_JSON if offered == {PLAIN_JSON} else FHIR_JSON
    raise FhirError.single(406, "not-supported", "this server speaks FHIR JSON only (application/fhir+json)")


def require_content_type(request: Request, allowed: frozenset[str] = _RESOURCE_TYPES) -> None:
    """415 unless the body is declared as one of ``allowed`` (an undeclared body is taken as JSON)."""
    declared = media_type(request.headers.get("content-type"))
    if declared and declared not in allowed:
        expected = " or ".join(sorted(allowed))
        raise FhirError.single(
            415, "not-supported", f"content type {declared[:60]!r} is not supported: send {expected}"
        )


def require_patch_type(request: Request) -> None:
    declared = media_type(request.headers.get("content-type"))
    if declared != JSON_PATCH:
        raise FhirError.single(
            415, "not-supported", f"PATCH takes a JSON Patch document ({JSON_PATCH}); got {declared[:60]!r}"
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> FhirError:
    return FhirError.single(413, "too-costly", f"the body exceeds the limit of {limit} bytes")


def if_match_version(request: Request) -> int | None:
    """The version named by If-Match (``W/"3"``), None without the header; 400 when unreadable."""
    header = request.headers.get("if-match")
    if header is None:
        return None
    match = _VERSION_TAG.fullmatch(header)
    if match is None:
        raise FhirError.single(400, "invalid", f'If-Match {header[:40]!r} is not a version tag like W/"3"')
    return int(match[1])


def if_none_match_version(request: Request) -> int | None:
    header = request.headers.get("if-none-match")
    match = _VERSION_TAG.fullmatch(header) if header else None
    return int(match[1]) if match else None


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def base_url(request: Request, configured: str | None, prefix: str) -> str:
    """The service base every fullUrl, Location and link starts with."""
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/") + prefix
