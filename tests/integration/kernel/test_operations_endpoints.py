"""Every process answers /health, /ready and /metrics, and tags responses with a request id."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel import topology
from caremesh.kernel.security.tokens import issue_token


@pytest.fixture
async def runtime(sqlite_url: str) -> AsyncIterator[Runtime]:
    topo = topology.parse(
        {"infrastructure": {"database": sqlite_url, "bus": "inprocess"},
         "processes": {"app": {"modules": ["scheduling"]}}}
    )
    rt = build_runtime(topo)
    await rt.start(workers=False)
    yield rt
    await rt.stop()


def _client(rt: Runtime) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(rt, start_runtime=False)),
                             base_url="http://test")


async def test_health_ready_and_metrics(runtime: Runtime) -> None:
    async with _client(runtime) as client:
        health = await client.get("/health")
        ready = await client.get("/ready")
        token = issue_token(subject="u", client_id="c", kind="user", scopes=[])
        await client.get("/v1/appointments/does-not-exist", headers={"Authorization": f"Bearer {token}"})
        metrics = await client.get("/metrics")
    assert health.json()["status"] == "ok"
    assert ready.status_code == 200 and ready.json()["checks"]["database:scheduling"] == "ok"
    text = metrics.text
    assert 'route="/v1/appointments/{appointment_id}"' in text
    assert "does-not-exist" not in text  # labels carry templates, never identifiers


async def test_ready_reports_a_broken_database(runtime: Runtime) -> None:
    async with _client(runtime) as client:
        await runtime.databases["scheduling"].close()
        ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database:scheduling"].startswith("failed")


async def test_request_id_is_echoed_or_created(runtime: Runtime) -> None:
    async with _client(runtime) as client:
        echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
        created = await client.get("/health")
        unsafe = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert echoed.headers["x-request-id"] == "abc-123"
    assert len(created.headers["x-request-id"]) == 36
    assert unsafe.headers["x-request-id"] != "bad id with spaces"


async def test_unauthenticated_module_call_is_a_401_problem(runtime: Runtime) -> None:
    async with _client(runtime) as client:
        response = await client.get("/v1/schedules")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"] == "Bearer"
