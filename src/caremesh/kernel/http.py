"""HTTP conventions shared by module APIs: RFC 9457 problem bodies and idempotent endpoints."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from caremesh.kernel.errors import CaremeshError
from caremesh.kernel.idempotency import HEADER, IdempotencyService, Operation, fingerprint, parse_key
from caremesh.kernel.security.principal import Principal

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = _problem_body(status, title, detail, extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def _problem_body(status: int, title: str, detail: str, extensions: dict[str, Any]) -> dict[str, Any]:
    # RFC 9457: extension members never replace the standard ones (an error's details may well
    # carry a key such as "status" that means something else, e.g. an alert's status).
    standard = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return {**extensions, **standard}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"location": ".".join(str(p) for p in error.get("loc", ())), "message": error.get("msg", "")}
        for error in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CaremeshError)
    async def _caremesh_error(_: Request, exc: CaremeshError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        body = _problem_body(exc.status, exc.code, exc.message, dict(exc.details))
        response = JSONResponse(body, status_code=exc.status, media_type=PROBLEM)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in errors)
        return problem(422 if _is_body_error(errors) else 400, "invalid-request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, "http-error", str(exc.detail))


def _is_body_error(errors: list[dict[str, Any]]) -> bool:
    # A body that parses but breaks the schema is 422; a bad query, path or malformed JSON is 400.
    return bool(errors) and all(
        e["location"].startswith("body") and "JSON decode error" not in e["message"] for e in errors
    )


async def respond_idempotently(
    request: Request,
    *,
    service: IdempotencyService,
    principal: Principal,
    operation: Operation,
    required: bool = True,
) -> Response:
    """Run ``operation`` under the request's Idempotency-Key and answer with its (stored) response."""
    key = parse_key(request.headers.get(HEADER), required=required)
    if key is None:
        async with service.db.transaction() as conn:
            stored = await operation(conn)
        return Response(stored.body, status_code=stored.status, headers=stored.headers)
    body = await request.body()
    outcome = await service.execute(
        client_id=principal.client_id,
        key=key,
        fingerprint=fingerprint(request.method, request.url.path, body),
        operation=operation,
    )
    headers = dict(outcome.response.headers)
    if outcome.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(outcome.response.body, status_code=outcome.response.status, headers=headers)
