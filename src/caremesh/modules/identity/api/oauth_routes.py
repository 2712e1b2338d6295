"""The token, introspection and revocation endpoints (form-encoded, JSON answers, no caching)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from caremesh.kernel.http import problem
from caremesh.modules.identity.application.server import FormRequest, ServerDeps, SmartAuthorizationServer

FORM = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request) -> list[tuple[str, str]] | None:
    """The form fields, or None when the body is not a (reasonably sized) urlencoded form."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        return parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return None


def not_a_form() -> JSONResponse:
    """A body that is not a form is no OAuth (or browser) request at all: an RFC 9457 problem like
    every other API answers, carrying the OAuth ``error`` fields too for OAuth client libraries."""
    detail = f"the body must be {FORM}"
    response = problem(400, "invalid-request", detail, error="invalid_request", error_description=detail)
    response.headers.update(NO_STORE)
    return response


def to_response(result: tuple[int, Any, list[tuple[str, str]]] | None) -> Response:
    if result is None:
        return Response(status_code=200, headers=NO_STORE)
    status, body, headers = result
    response = JSONResponse(body, status_code=status)
    for name, value in headers:
        if name.lower() != "content-type":
            response.headers[name] = value
    response.headers.update(NO_STORE)
    return response


def oauth_router(server: SmartAuthorizationServer, deps: ServerDeps) -> APIRouter:
    router = APIRouter(tags=["identity"])

    async def handle(request: Request, run: Callable[[FormRequest], Any]) -> Response:
        form = await read_form(request)
        if form is None:
            return not_a_form()
        await deps.ring.ready()
        oauth_request = FormRequest(
            "POST", f"{deps.settings.issuer}{request.url.path}", request.headers, [], form
        )
        return to_response(await deps.bridge.call(run, oauth_request))

    @router.post("/identity/token")
    async def token(request: Request) -> Response:
        return await handle(request, server.create_token_response)

    @router.post("/identity/introspect")
    async def introspect(request: Request) -> Response:
        return await handle(request, lambda r: server.create_endpoint_response("introspection", r))

    @router.post("/identity/revoke")
    async def revoke(request: Request) -> Response:
        return await handle(request, lambda r: server.create_endpoint_response("revocation", r))

    return router
