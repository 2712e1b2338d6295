"""A running monitoring module (SQLite and PostgreSQL) driven through its HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from monitoring_harness import MonitoringApp, topology_for

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime


@pytest.fixture
async def monitoring(database_url: str) -> AsyncIterator[MonitoringApp]:
    runtime = build_runtime(topology_for(database_url))
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://monitoring.test") as client:
            yield MonitoringApp(client, runtime)
    finally:
        await runtime.stop()
