"""The edge of every process: security headers, CORS, rate limits and the body-size bound.

Order (outermost first): security headers (so every refusal below carries them too), CORS (so a
browser app can read a 429's Retry-After), rate limits (before any parsing or token
verification is spent), the body bound, then the application. Installed by
``apps.asgi.build_app`` inside the observability middleware, so refusals are logged and counted.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caremesh.kernel.edge.body_limit import BodyLimitMiddleware
from caremesh.kernel.edge.cors import AllowedOrigins, RegisteredAppsCORS
from caremesh.kernel.edge.gcra import MemoryStore, RateLimitStore
from caremesh.kernel.edge.headers import SecurityHeadersMiddleware
from caremesh.kernel.edge.ratelimit import RateLimitMiddleware
from caremesh.kernel.edge.redis_store import RedisStore
from caremesh.kernel.edge.settings import EdgeSettings, edge_settings
from caremesh.kernel.topology import Topology


def build_store(settings: EdgeSettings) -> RateLimitStore:
    if settings.rate_limit_store == "memory":
        return MemoryStore()
    return RedisStore(settings.rate_limit_store, prefix=settings.rate_limit_prefix)


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: EdgeSettings,
        origins: AllowedOrigins | None = None,
        store: RateLimitStore | None = None,
    ) -> None:
        self.settings = settings
        self.origins = origins if origins is not None else AllowedOrigins(settings.cors_allowed_origins)
        self.store = store if store is not None else build_store(settings)
        chain: ASGIApp = BodyLimitMiddleware(app, max_body_bytes=settings.max_body_bytes)
        if settings.rate_limit:
            chain = RateLimitMiddleware(
                chain,
                store=self.store,
                client_limit=settings.client_limit,
                anonymous_limit=settings.anonymous_limit,
                exempt_paths=settings.exempt_paths,
            )
        chain = RegisteredAppsCORS(chain, origins=self.origins)
        self.chain = SecurityHeadersMiddleware(chain, hsts_max_age=settings.hsts_max_age)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.chain(scope, receive, send)
            return

        async def close_store_on_shutdown(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.store.aclose()
            await send(message)

        await self.chain(scope, receive, close_store_on_shutdown)


def install_edge(app: FastAPI, topology: Topology) -> AllowedOrigins:
    """Add the edge to ``app`` (call before the observability middleware, which must wrap it).
    Returns the allowed-origins registry, also kept as ``app.state.allowed_origins``."""
    settings = edge_settings(topology)
    origins = AllowedOrigins(settings.cors_allowed_origins)
    app.state.allowed_origins = origins
    app.add_middleware(EdgeMiddleware, settings=settings, origins=origins)
    return origins
