"""A real caremesh process (scheduling, optionally clinical) with edge settings chosen per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime
from caremesh.kernel.ids import new_id
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse


def topology_for(database_url: str, edge: dict[str, Any], modules: tuple[str, ...] = ("scheduling",)) -> Any:
    return parse(
        {
            "name": "edge-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": list(modules)}},
            "modules": {"edge": edge},
        }
    )


def bearer(subject: str = "user-edge-0001", client_id: str = "edge-tests") -> dict[str, str]:
    token = issue_token(
        subject=subject, client_id=client_id, kind="user", scopes=["scheduling", "user/*.cruds"]
    )
    return {"authorization": f"Bearer {token}"}


@asynccontextmanager
async def edge_client(
    database_url: str,
    edge: dict[str, Any],
    *,
    modules: tuple[str, ...] = ("scheduling",),
    base_url: str = "http://edge.test",
) -> AsyncIterator[httpx.AsyncClient]:
    runtime = build_runtime(topology_for(database_url, edge, modules))
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
    finally:
        await runtime.stop()


async def create_schedule(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    body = {"practitioner_id": "prac-edge-01", "service_type": "general-practice", "timezone": "UTC"}
    return await client.post("/v1/schedules", json=body, headers={**headers, "Idempotency-Key": new_id()})
