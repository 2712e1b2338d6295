"""A running scheduling process (SQLite and PostgreSQL) driven through its HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from scheduling_harness import SchedulingApp, bearer, topology_for

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[SchedulingApp]:
    runtime = build_runtime(topology_for(database_url))
    app = build_app(runtime, start_runtime=False)
    await runtime.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://scheduling.test", headers=bearer()
        ) as client:
            yield SchedulingApp(client, runtime)
    finally:
        await runtime.stop()
