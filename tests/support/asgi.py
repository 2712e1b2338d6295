"""A running runtime behind an in-process HTTP client: the harness most integration tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import Runtime


@asynccontextmanager
async def asgi_client(
    runtime: Runtime, *, headers: dict[str, str] | None = None, base_url: str = "http://fhir.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``runtime`` without workers (ASGITransport runs no lifespan) and stop it afterwards."""
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, headers=headers) as client:
            yield client
    finally:
        await runtime.stop()
