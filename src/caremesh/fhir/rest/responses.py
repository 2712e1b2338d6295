"""Responses of the instance interactions: stored bytes as they are, with version headers."""

from __future__ import annotations

from fastapi import Response

from caremesh.fhir.outcome import information
from caremesh.fhir.prefer import RETURN_MINIMAL, RETURN_OUTCOME, Prefer
from caremesh.fhir.rest.http import http_date
from caremesh.fhir.storage.resources import StoredVersion

_CHARSET = "; charset=utf-8"


def version_headers(stored: StoredVersion) -> dict[str, str]:
    return {"ETag": stored.etag, "Last-Modified": http_date(stored.last_updated)}


def location(base: str, stored: StoredVersion) -> str:
    return f"{base}/{stored.resource_type}/{stored.resource_id}/_history/{stored.version}"


def resource_response(stored: StoredVersion, media: str, status: int = 200) -> Response:
    return Response(
        stored.body, status_code=status, headers=version_headers(stored), media_type=media + _CHARSET
    )


def not_modified(stored: StoredVersion) -> Response:
    return Response(status_code=304, headers=version_headers(stored))


def write_response(
    stored: StoredVersion, *, status: int, prefer: Prefer, base: str, media: str, message: str
) -> Response:
    """What a create, update or patch answers, shaped by ``Prefer: return=``."""
    headers = {**version_headers(stored), "Location": location(base, stored)}
    if prefer.return_ == RETURN_MINIMAL:
        return Response(status_code=status, headers=headers)
    if prefer.return_ == RETURN_OUTCOME:
        return Response(
            information(message), status_code=status, headers=headers, media_type=media + _CHARSET
        )
    return Response(stored.body, status_code=status, headers=headers, media_type=media + _CHARSET)


def deleted_response(stored: StoredVersion | None, *, prefer: Prefer, media: str) -> Response:
    """204 by default; ``Prefer: return=OperationOutcome`` gets a 200 saying what happened."""
    headers = {"ETag": stored.etag} if stored is not None else {}
    if prefer.return_ != RETURN_OUTCOME:
        return Response(status_code=204, headers=headers)
    message = (
        f"deleted {stored.resource_type}/{stored.resource_id} (version {stored.version})"
        if stored is not None
        else "nothing to delete: the resource does not exist or was already deleted"
    )
    return Response(information(message), status_code=200, headers=headers, media_type=media + _CHARSET)
