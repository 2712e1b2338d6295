"""One pure-ASGI middleware for correlation ids, server spans, RED metrics and the access log.

Written as raw ASGI rather than BaseHTTPMiddleware because it runs on every request of the hot
path. Labels and log fields use the route *template* (``/v1/appointments/{appointment_id}``),
never the concrete path or query string, which may carry identifiers or PHI.
"""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caremesh.kernel.ids import new_id
from caremesh.kernel.observability import metrics

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_tracer = trace.get_tracer("caremesh.http")
log = structlog.get_logger("caremesh.http")


def _request_id(headers: dict[str, str]) -> str:
    offered = headers.get(REQUEST_ID_HEADER, "")
    return offered if _SAFE_REQUEST_ID.match(offered) else new_id()


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, quiet_routes: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.service = service
        self.quiet_routes = quiet_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = _request_id(headers)
        started = time.perf_counter()
        status_holder: dict[str, int] = {"status": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                raw = list(message.get("headers", []))
                raw.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": raw}
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        with _tracer.start_as_current_span(
            f"{scope['method']} request", context=extract(headers), kind=SpanKind.SERVER
        ) as span:
            try:
                await self.app(scope, receive, send_with_headers)
            finally:
                self._record(scope, span, status_holder["status"], time.perf_counter() - started)
                structlog.contextvars.unbind_contextvars("request_id")

    def _record(self, scope: Scope, span: Any, status: int, elapsed: float) -> None:
        method, route = scope["method"], route_template(scope)
        span.update_name(f"{method} {route}")
        span.set_attribute("http.request.method", method)
        span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        metrics.HTTP_REQUESTS.labels(self.service, method, route, f"{status // 100}xx").inc()
        metrics.HTTP_SECONDS.labels(self.service, method, route).observe(elapsed)
        if route not in self.quiet_routes:
            log.info(
                "request handled", method=method, route=route, status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
