"""A monitoring process with the alerting part only (independent of the ingestion pipeline), for tests.

``CAREMESH_EXTRA_MODULES=monitoring=monitoring_alert_harness`` makes the bootstrap load ``MODULE``
below as "monitoring": same migrations, same context, only ``register_alerting`` wired; the
observer it returns is kept in ``OBSERVERS`` so tests call it as the ingestion pipeline would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel.db.base import Database
from caremesh.kernel.ids import new_id
from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import Topology, parse
from caremesh.modules.monitoring.alerting_root import register_alerting
from caremesh.modules.monitoring.application.ports import ReadingsObserver
from caremesh.modules.monitoring.domain.reading import Reading

OBSERVERS: list[ReadingsObserver] = []


def _register(ctx: ModuleContext) -> None:
    OBSERVERS.append(register_alerting(ctx))


MODULE = ModuleDefinition(
    name="monitoring", migrations="caremesh.modules.monitoring.adapters.migrations", register=_register
)


def topology_for(database_url: str, modules: Sequence[str] = ("monitoring",), **config: Any) -> Topology:
    return parse(
        {
            "name": "monitoring-alert-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": list(modules)}},
            "modules": {"monitoring": config},
        }
    )


def staff(subject: str = "nurse-0001", roles: Sequence[str] = ("nurse",)) -> dict[str, str]:
    token = issue_token(
        subject=subject, client_id="alert-tests", kind="user", scopes=["monitoring"],
        extra_claims={"roles": list(roles)},
    )  # fmt: skip
    return {"authorization": f"Bearer {token}"}


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


def reading(patient: str, kind: str, at: datetime | None = None, **values: float) -> Reading:
    when = at or datetime.now(UTC)
    return Reading(new_id(), patient, f"dev-{patient}-{kind}", kind, when, values, datetime.now(UTC))


@dataclass
class AlertingApp:
    client: httpx.AsyncClient
    runtime: Runtime
    observer: ReadingsObserver

    @property
    def db(self) -> Database:
        return self.runtime.contexts["monitoring"].db

    async def accept(self, *readings: Reading) -> None:
        """What the ingestion pipeline does: store readings and call the observer in one transaction."""
        async with self.db.transaction() as conn:
            await self.observer.on_accepted(conn, list(readings))
        await self.runtime.drain_outboxes()

    async def alerts(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/v1/monitoring/alerts", params={"limit": 200, **params})
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def scalar(self, sql: str, *args: Any) -> Any:
        async with self.db.read() as conn:
            return await conn.fetchval(sql, *args)

    async def outbox_types(self) -> list[str]:
        async with self.db.read() as conn:
            rows = await conn.fetch("SELECT event_type FROM outbox ORDER BY seq")
        return [row["event_type"] for row in rows]

    async def put_team(self, patient: str, *members: tuple[str, str]) -> None:
        body = {"members": [{"staff_id": s, "role": r} for s, r in members]}
        response = await self.client.put(f"/v1/monitoring/patients/{patient}/care-team", json=body)
        assert response.status_code == 200, response.text


async def eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


@asynccontextmanager
async def running(
    database_url: str, monkeypatch: Any, *, modules: Sequence[str] = ("monitoring",), workers: bool = False,
    **config: Any,
) -> AsyncIterator[AlertingApp]:  # fmt: skip
    """The alerting harness module (plus ``modules``) in one process, behind an in-process client."""
    monkeypatch.setenv("CAREMESH_EXTRA_MODULES", "monitoring=monitoring_alert_harness")
    runtime = build_runtime(topology_for(database_url, modules, **config))
    observer = OBSERVERS[-1]
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=workers)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://alerts.test", headers=staff()
        ) as client:
            yield AlertingApp(client, runtime, observer)
    finally:
        await runtime.stop()
