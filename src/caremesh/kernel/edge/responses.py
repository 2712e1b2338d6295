"""The edge's own refusals, in the dialect of the API asked: OperationOutcome under /fhir,
RFC 9457 problem+json everywhere else."""

from __future__ import annotations

import orjson
from starlette.types import Send

FHIR_PREFIX = "/fhir"

# FHIR IssueType per HTTP status the edge produces.
_FHIR_ISSUE_CODES = {413: "too-long", 429: "throttled", 403: "forbidden"}
_TITLES = {413: "payload-too-large", 429: "too-many-requests", 403: "forbidden"}


def is_fhir_path(path: str) -> bool:
    return path == FHIR_PREFIX or path.startswith(FHIR_PREFIX + "/")


def refusal_body(path: str, status: int, detail: str) -> tuple[bytes, bytes]:
    """(body, content type) for a refusal of ``status`` on ``path``."""
    if is_fhir_path(path):
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": _FHIR_ISSUE_CODES.get(status, "processing"),
                    "diagnostics": detail,
                }
            ],
        }
        return orjson.dumps(outcome), b"application/fhir+json"
    title = _TITLES.get(status, "error")
    problem = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return orjson.dumps(problem), b"application/problem+json"


async def send_refusal(
    send: Send, path: str, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body, content_type = refusal_body(path, status, detail)
    raw = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
