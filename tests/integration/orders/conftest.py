"""Order entry + pharmacy + billing + cds in one process (SQLite and PostgreSQL), over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from orders_harness import DOUBLE, OrdersApp, bearer, real_cds_exists, topology_for

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime


@pytest.fixture
def cds_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file the CDS double reads its behaviour from; tests that use it get the double."""
    path = tmp_path / "cds-mode"
    path.write_text("ok")
    monkeypatch.setenv("CAREMESH_TEST_CDS_MODE", str(path))
    monkeypatch.setenv("CAREMESH_EXTRA_MODULES", DOUBLE)
    return path


@pytest.fixture
def use_real_cds(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> bool:
    """Normal flows run against the real cds module once it exists, else the double (in "ok" mode)."""
    if "cds_mode" in request.fixturenames:
        request.getfixturevalue("cds_mode")  # before the runtime is built
        return False
    if real_cds_exists():
        return True
    monkeypatch.setenv("CAREMESH_EXTRA_MODULES", DOUBLE)
    return False


@pytest.fixture
async def orders(database_url: str, use_real_cds: bool) -> AsyncIterator[OrdersApp]:
    runtime = build_runtime(topology_for(database_url))
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://orders.test", headers=bearer()
        ) as client:
            yield OrdersApp(client, runtime)
    finally:
        await runtime.stop()
