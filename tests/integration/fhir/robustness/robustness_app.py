"""The all-in-one app in process, on a real database, for throwing bad input at it.

``running`` drives it asynchronously (httpx over ASGI, the runtime on the test's event loop) and
can count the rows of the FHIR store, to prove that a rejected write changed nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from tests.support.asgi import asgi_client

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel.db.base import Database
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

BASE = "/fhir/R4"
FHIR_JSON = "application/fhir+json"
ALL_IN_ONE = ["clinical", "scheduling", "notify"]
# Every table a FHIR write touches: the resource, its history, its index rows, its change event.
STORE_TABLES = (
    "fhir_resource", "fhir_history", "fhir_sp_string", "fhir_sp_token", "fhir_sp_date", "fhir_sp_number",
    "fhir_sp_quantity", "fhir_sp_reference", "fhir_sp_uri", "fhir_sp_composite", "outbox",
)  # fmt: skip


def bearer() -> dict[str, str]:
    token = issue_token(
        subject="user-robustness-0001", client_id="robustness-tests", kind="user", scopes=["user/*.cruds"],
    )
    return {"authorization": f"Bearer {token}"}


def _runtime(database_url: str, modules: list[str]) -> Runtime:
    topology = parse(
        {
            "name": "robustness",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": modules}},
        }
    )
    return build_runtime(topology)


def all_in_one(database_url: str) -> FastAPI:
    """The ASGI app of the all-in-one modules; its lifespan starts and stops the runtime."""
    return build_app(_runtime(database_url, ALL_IN_ONE))


@dataclass
class RunningApp:
    client: httpx.AsyncClient
    runtime: Runtime

    @property
    def db(self) -> Database:
        return self.runtime.contexts["clinical"].db

    async def counts(self) -> dict[str, int]:
        async with self.db.read() as conn:
            return {
                table: int(await conn.fetchval(f"SELECT COUNT(*) FROM {table}")) for table in STORE_TABLES
            }

    async def create(self, resource_type: str, body: bytes) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/{resource_type}", content=body, headers={"content-type": FHIR_JSON}
        )

    async def update(self, path: str, body: bytes, **headers: str) -> httpx.Response:
        return await self.client.put(
            f"{BASE}/{path}", content=body, headers={"content-type": FHIR_JSON, **headers}
        )


@asynccontextmanager
async def running(database_url: str, modules: tuple[str, ...] = ("clinical",)) -> AsyncIterator[RunningApp]:
    runtime = _runtime(database_url, list(modules))
    async with asgi_client(runtime, headers=bearer()) as client:
        yield RunningApp(client, runtime)


def assert_outcome(response: httpx.Response) -> dict[str, Any]:
    """A rejection: a 4xx with an OperationOutcome in FHIR JSON that says what was wrong."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    declared = response.headers.get("content-type", "").split(";")[0].strip()
    assert declared == FHIR_JSON, (response.status_code, declared, response.text[:300])
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    assert body["issue"] and all(issue.get("diagnostics") for issue in body["issue"]), body
    return dict(body)
