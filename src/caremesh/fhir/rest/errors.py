"""Every failure under the FHIR base answers with an OperationOutcome, the rest of the app keeps
its problem+json: the mapping lives in the FHIR routes' own route class, not in app-wide handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, cast

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from caremesh.fhir.outcome import FhirError, Issue, outcome_bytes
from caremesh.kernel.errors import CaremeshError
from caremesh.kernel.security.principal import require_principal

FHIR_JSON = "application/fhir+json"
_ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
                409: "conflict", 412: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing",
                429: "throttled", 503: "transient"}  # fmt: skip


def outcome_response(status: int, issues: list[Issue], headers: Mapping[str, str] | None = None) -> Response:
    return Response(outcome_bytes(issues), status_code=status, media_type=FHIR_JSON, headers=headers)


def _issue(status: int, diagnostics: str) -> Issue:
    return Issue(code=_ISSUE_CODES.get(status, "processing"), diagnostics=diagnostics)


def as_outcome(error: Exception) -> Response | None:
    """The OperationOutcome answering ``error``, or None for an error that is a server fault."""
    if isinstance(error, FhirError):
        return outcome_response(error.status, error.issues)
    if isinstance(error, CaremeshError):
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return outcome_response(error.status, [_issue(error.status, error.message)], headers)
    if isinstance(error, RequestValidationError):
        issues = [
            Issue(code="invalid", diagnostics=str(e.get("msg", "invalid")),
                  expression=(".".join(str(p) for p in e.get("loc", ())),))
            for e in error.errors()
        ]  # fmt: skip
        return outcome_response(400, issues)
    if isinstance(error, HTTPException):
        return outcome_response(
            error.status_code, [_issue(error.status_code, str(error.detail))], error.headers
        )
    return None


class FhirRoute(APIRoute):
    """An APIRoute for the FHIR handlers, which take the request and their path segments.

    FastAPI's parameter solving is skipped on this hot path (it was a third of a read's CPU):
    the handler is called with ``request.path_params`` directly, after the only dependency the
    FHIR router declares, :func:`require_principal` (declared so the OpenAPI description shows
    the bearer requirement). Any other dependency is refused when the route is built rather than
    silently ignored. Errors (authentication, FHIR rules) come back as OperationOutcomes.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        unsupported = [d.dependency for d in self.dependencies if d.dependency is not require_principal]
        if unsupported:
            raise TypeError(f"FHIR routes support no dependency but require_principal: {unsupported}")
        authenticate = bool(self.dependencies)
        endpoint = cast(Callable[..., Awaitable[Response]], self.endpoint)

        async def handle(request: Request) -> Response:
            try:
                if authenticate:
                    await require_principal(request)
                return await endpoint(request, **request.path_params)
            except Exception as error:
                response = as_outcome(error)
                if response is None:
                    raise
                return response

        return handle


def method_not_allowed(allowed: tuple[str, ...]) -> Callable[..., Awaitable[Response]]:
    async def refuse(request: Request, **_: str) -> Response:
        text = f"{request.method} is not supported here; use {', '.join(allowed)}"
        return outcome_response(405, [_issue(405, text)], {"Allow": ", ".join(allowed)})

    return refuse


async def no_such_interaction(request: Request, **_: str) -> Response:
    """The last route under the FHIR base: any path no interaction matched (a lower-case type,
    extra segments, a trailing slash) is a 404 OperationOutcome, never a redirect that would turn
    ``GET Patient/`` into a search or ``PUT Patient/%2F`` into a conditional update."""
    text = "no FHIR interaction at this path (resource types are capitalised; ids have no '/')"
    return outcome_response(404, [_issue(404, text)])
