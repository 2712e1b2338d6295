"""A running cds module (SQLite and PostgreSQL) behind an in-process HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from cds_harness import CdsApp, bearer, topology_for

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime


@pytest.fixture
async def cds(database_url: str) -> AsyncIterator[CdsApp]:
    runtime = build_runtime(topology_for(database_url))
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://cds.test", headers=bearer()
        ) as client:
            yield CdsApp(client, runtime)
    finally:
        await runtime.stop()
