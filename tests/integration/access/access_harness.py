"""A clinical process (FHIR + audit) and tokens for any role, scope set and patient context."""

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
FULL = ["user/*.cruds"]


def token(
    scopes: list[str] | None = None,
    *,
    roles: list[str] | None = None,
    patient: str | None = None,
    subject: str = "user-access-0001",
    kind: str = "user",
    client_id: str = "access-tests",
) -> dict[str, str]:
    claims: dict[str, Any] = {}
    if roles is not None:
        claims["roles"] = roles
    if patient is not None:
        claims["patient"] = patient
        claims["fhirUser"] = f"Patient/{patient}"
    bearer = issue_token(
        subject=subject,
        client_id=client_id,
        kind=kind,
        scopes=FULL if scopes is None else scopes,
        extra_claims=claims,
    )
    return {"authorization": f"Bearer {bearer}"}


def patient_body(family: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "name": [{"family": family, "given": ["Synthetic"]}], **extra}


def observation_body(patient_id: str, category: str = "vital-signs", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": category}
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
        **extra,
    }


@dataclass
class AccessApp:
    client: httpx.AsyncClient
    runtime: Runtime

    @property
    def db(self) -> Database:
        return self.runtime.contexts["clinical"].db

    async def create(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> str:
        response = await self.post(body["resourceType"], body, headers or token())
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(
            f"{BASE}/{path}", content=orjson.dumps(body), headers={"content-type": FHIR_JSON, **headers}
        )

    async def bundle(self, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(
            BASE, content=orjson.dumps(body), headers={"content-type": FHIR_JSON, **headers}
        )

    async def put(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await self.client.put(
            f"{BASE}/{path}", content=orjson.dumps(body), headers={"content-type": FHIR_JSON, **headers}
        )

    async def get(self, path: str, headers: dict[str, str]) -> httpx.Response:
        return await self.client.get(f"{BASE}/{path}", headers=headers)

    async def delete(self, path: str, headers: dict[str, str]) -> httpx.Response:
        return await self.client.delete(f"{BASE}/{path}", headers=headers)

    async def audit_rows(self) -> list[dict[str, Any]]:
        async with self.db.read() as conn:
            rows = await conn.fetch("SELECT seq, body FROM audit_event ORDER BY seq")
        return [orjson.loads(row["body"]) for row in rows]


def topology_for(database_url: str) -> Any:
    return parse(
        {
            "name": "access-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": ["clinical"]}},
        }
    )


@asynccontextmanager
async def running(database_url: str) -> AsyncIterator[AccessApp]:
    runtime = build_runtime(topology_for(database_url))
    async with asgi_client(runtime) as client:
        yield AccessApp(client, runtime)


def ids(bundle: dict[str, Any]) -> list[str]:
    return sorted(f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", []))
