"""The ``transaction-response`` / ``batch-response`` Bundle: one entry per request entry, in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from caremesh.fhir.meta import instant
from caremesh.fhir.outcome import FhirError, information, outcome_bytes
from caremesh.fhir.prefer import RETURN_MINIMAL, RETURN_OUTCOME, Prefer
from caremesh.fhir.storage.resources import StoredVersion
from caremesh.kernel.clock import utcnow
from caremesh.kernel.ids import new_id

_REASONS = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 404: "Not Found",
            409: "Conflict", 410: "Gone", 412: "Precondition Failed", 422: "Unprocessable Entity",
            500: "Internal Server Error"}  # fmt: skip


@dataclass(slots=True)
class Answer:
    """What one entry's request did: the status and the version it wrote or read."""

    status: int
    stored: StoredVersion | None = None
    body: bytes | None = None  # a read answer that is not a stored version (a searchset Bundle)
    error: FhirError | None = None
    wrote: bool = True  # a write (shaped by Prefer: return=) rather than a read


def status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, '')}".strip()


def _response(answer: Answer) -> dict[str, object]:
    response: dict[str, object] = {"status": status_line(answer.status)}
    stored = answer.stored
    if stored is not None:
        if answer.status == 201 or (answer.wrote and not stored.deleted):
            response["location"] = f"{stored.resource_type}/{stored.resource_id}/_history/{stored.version}"
        response["etag"] = stored.etag
        response["lastModified"] = instant(stored.last_updated)
    return response


def entry_bytes(answer: Answer, prefer: Prefer, base: str) -> bytes:
    response = _response(answer)
    parts: list[bytes] = []
    stored = answer.stored
    if stored is not None and not stored.deleted:
        parts.append(b'"fullUrl":' + orjson.dumps(f"{base}/{stored.resource_type}/{stored.resource_id}"))
    resource = _resource(answer, prefer)
    if resource is not None:
        parts.append(b'"resource":' + resource)
    outcome = _outcome(answer, prefer)
    response_bytes = orjson.dumps(response)
    if outcome is not None:
        response_bytes = response_bytes[:-1] + b',"outcome":' + outcome + b"}"
    parts.append(b'"response":' + response_bytes)
    return b"{" + b",".join(parts) + b"}"


def _resource(answer: Answer, prefer: Prefer) -> bytes | None:
    if answer.body is not None:
        return answer.body
    stored = answer.stored
    if stored is None or stored.body is None:
        return None
    if answer.wrote and prefer.return_ in (RETURN_MINIMAL, RETURN_OUTCOME):
        return None
    return stored.body


def _outcome(answer: Answer, prefer: Prefer) -> bytes | None:
    if answer.error is not None:
        return outcome_bytes(answer.error.issues)
    if answer.wrote and prefer.return_ == RETURN_OUTCOME:
        stored = answer.stored
        what = f"{stored.resource_type}/{stored.resource_id}" if stored else "nothing"
        return information(f"{status_line(answer.status)}: {what}")
    return None


def response_bundle(kind: str, answers: Sequence[Answer], prefer: Prefer, base: str) -> bytes:
    head = {
        "resourceType": "Bundle",
        "id": new_id(),
        "meta": {"lastUpdated": instant(utcnow())},
        "type": f"{kind}-response",
    }
    entries = b",".join(entry_bytes(answer, prefer, base) for answer in answers)
    opening = orjson.dumps(head)[:-1]
    return opening + (b',"entry":[' + entries + b"]}" if entries else b"}")
