"""Drive a running clinical process (SQLite or PostgreSQL) through its FHIR REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from tests.support.asgi import asgi_client

from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel.db.base import Database
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

BASE = "/fhir/R4"
FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"


def bearer() -> dict[str, str]:
    token = issue_token(
        subject="user-fhir-0001", client_id="fhir-rest-tests", kind="user", scopes=["user/*.cruds"],
    )
    return {"authorization": f"Bearer {token}"}


def patient(family: str = "Testperson", **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "name": [{"family": family, "given": ["Synthetic"]}], **extra}


def observation(patient_id: str, value: str = "1.50", **extra: Any) -> bytes:
    """An Observation as raw JSON, so decimals are written exactly as a test wants them."""
    fields = b"".join(b',"%s":%s' % (k.encode(), orjson.dumps(v)) for k, v in extra.items())
    return (
        b'{"resourceType":"Observation","status":"final",'
        b'"code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},'
        b'"subject":{"reference":"Patient/%s"},'
        b'"valueQuantity":{"value":%s,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}%s}'
        % (patient_id.encode(), value.encode(), fields)
    )


@dataclass
class FhirApp:
    client: httpx.AsyncClient
    runtime: Runtime

    @property
    def db(self) -> Database:
        return self.runtime.contexts["clinical"].db

    async def post(self, resource_type: str, body: dict[str, Any] | bytes, **headers: str) -> httpx.Response:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return await self.client.post(
            f"{BASE}/{resource_type}", content=content, headers={"content-type": FHIR_JSON, **_h(headers)}
        )

    async def put(self, path: str, body: dict[str, Any] | bytes, **headers: str) -> httpx.Response:
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        return await self.client.put(
            f"{BASE}/{path}", content=content, headers={"content-type": FHIR_JSON, **_h(headers)}
        )

    async def patch(
        self, path: str, operations: list[dict[str, Any]] | bytes, **headers: str
    ) -> httpx.Response:
        content = operations if isinstance(operations, bytes) else orjson.dumps(operations)
        return await self.client.patch(
            f"{BASE}/{path}", content=content, headers={"content-type": JSON_PATCH, **_h(headers)}
        )

    async def get(self, path: str, **headers: str) -> httpx.Response:
        return await self.client.get(f"{BASE}/{path}", headers=_h(headers))

    async def delete(self, path: str, **headers: str) -> httpx.Response:
        return await self.client.delete(f"{BASE}/{path}", headers=_h(headers))

    async def created(self, resource_type: str, body: dict[str, Any] | bytes) -> dict[str, Any]:
        response = await self.post(resource_type, body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def events(self) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            rows = await conn.fetch("SELECT event_type, body FROM outbox ORDER BY seq")
        return [{"type": row["event_type"], **orjson.loads(row["body"])} for row in rows]


def _h(headers: dict[str, str]) -> dict[str, str]:
    """Keyword headers use underscores: if_match -> If-Match."""
    return {name.replace("_", "-"): value for name, value in headers.items()}


def topology_for(database_url: str, **clinical: Any) -> Any:
    return parse(
        {
            "name": "fhir-rest-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": ["clinical"]}},
            "modules": {"clinical": clinical},
        }
    )


@asynccontextmanager
async def running(database_url: str, **clinical: Any) -> AsyncIterator[FhirApp]:
    runtime = build_runtime(topology_for(database_url, **clinical))
    async with asgi_client(runtime, headers=bearer()) as client:
        yield FhirApp(client, runtime)
