"""A running identity process (SQLite and PostgreSQL) driven through its HTTP API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from identity_harness import ISSUER, IdentityApp, topology_for

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime
from caremesh.kernel.security.key_sources import unregister_key_source
from caremesh.modules.identity.module import build


@pytest.fixture
async def identity(database_url: str) -> AsyncIterator[IdentityApp]:
    runtime = build_runtime(topology_for(database_url, modules=("identity", "scheduling")))
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    # A second set of services over the same database, for test setup (users, clients).
    deps = build(runtime.contexts["identity"]).deps
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
            yield IdentityApp(client, runtime, deps, transport)
    finally:
        unregister_key_source(ISSUER)
        await runtime.stop()
