"""CORS for registered browser apps only, built on Starlette's CORSMiddleware.

Allowed origins come from ``[modules.edge] cors_allowed_origins`` now. The hook for the identity
module: ``AllowedOrigins.register_source(fn)`` adds a callable returning the origins of the
registered clients' redirect URIs (``origin_of(uri)``); it is consulted on every cross-origin
request, so registering an app takes effect without a restart. Credentials (cookies) are not
allowed cross-origin: SMART apps send bearer tokens, and a wildcard is refused by the settings.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp

OriginSource = Callable[[], Collection[str]]

ALLOWED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ALLOWED_HEADERS = (
    "authorization",
    "content-type",
    "accept",
    "if-match",
    "if-none-match",
    "if-modified-since",
    "if-none-exist",
    "prefer",
    "idempotency-key",
    "x-request-id",
)
EXPOSED_HEADERS = (
    "location",
    "content-location",
    "etag",
    "last-modified",
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "x-request-id",
    "deprecation",
    "sunset",
    "link",
)


def origin_of(url: str) -> str | None:
    """``https://app.example.org:8443/cb?x`` -> ``https://app.example.org:8443``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class AllowedOrigins:
    def __init__(self, static: Iterable[str] = ()) -> None:
        self._static = frozenset(o.lower().rstrip("/") for o in static)
        self._sources: list[OriginSource] = []

    def register_source(self, source: OriginSource) -> None:
        self._sources.append(source)

    def __contains__(self, origin: object) -> bool:
        if not isinstance(origin, str):
            return False
        candidate = origin.lower()
        return candidate in self._static or any(candidate in source() for source in self._sources)


class RegisteredAppsCORS(CORSMiddleware):
    def __init__(self, app: ASGIApp, *, origins: AllowedOrigins) -> None:
        super().__init__(
            app,
            allow_origins=(),
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=False,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
        self.origins = origins

    def is_allowed_origin(self, origin: str) -> bool:
        return origin in self.origins
