"""Driving a running monitoring module through its HTTP API (imported by the monitoring tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from caremesh.bootstrap import Runtime
from caremesh.kernel.db.base import Database
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import Topology, parse


def topology_for(database_url: str, modules: tuple[str, ...] = ("monitoring",), **config: Any) -> Topology:
    return parse(
        {
            "name": "monitoring-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": list(modules)}},
            "modules": {"monitoring": config},
        }
    )


def staff_headers(subject: str = "user-nurse-0001") -> dict[str, str]:
    token = issue_token(subject=subject, client_id="monitoring-tests", kind="user", scopes=["monitoring"])
    return {"authorization": f"Bearer {token}"}


def gateway_headers() -> dict[str, str]:
    token = issue_token(subject="gw-0001", client_id="gateway", kind="client", scopes=["monitoring.ingest"])
    return {"authorization": f"Bearer {token}"}


def minutes_ago(minutes: float) -> datetime:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).replace(microsecond=0)


def bp(
    at: datetime, systolic: float = 128, diastolic: float = 82, pulse: float = 70, ref: str = "r1"
) -> dict[str, Any]:
    return {
        "id": ref,
        "kind": "blood-pressure",
        "measured_at": at.isoformat(),
        "values": {
            "systolic": {"value": systolic, "unit": "mm[Hg]"},
            "diastolic": {"value": diastolic, "unit": "mm[Hg]"},
            "heart_rate": {"value": pulse, "unit": "/min"},
        },
    }


@dataclass
class MonitoringApp:
    client: httpx.AsyncClient
    runtime: Runtime

    @property
    def db(self) -> Database:
        return self.runtime.contexts["monitoring"].db

    async def device(
        self,
        device_type: str = "bp-cuff",
        serial: str = "SN-0001",
        patient: str | None = "pat-m-0001",
        since: datetime | None = None,
    ) -> tuple[str, str]:
        """Register, assign (from ``since``, default a day ago) and credential a device: (id, token)."""
        response = await self.client.post(
            "/v1/monitoring/devices", json={"serial": serial, "type": device_type}, headers=staff_headers()
        )
        assert response.status_code == 201, response.text
        device_id = response.json()["id"]
        if patient is not None:
            start = (since or datetime.now(UTC) - timedelta(days=1)).isoformat()
            assigned = await self.client.post(
                f"/v1/monitoring/devices/{device_id}/assignments",
                json={"patient_id": patient, "start_at": start},
                headers=staff_headers(),
            )
            assert assigned.status_code == 201, assigned.text
        issued = await self.client.post(
            f"/v1/monitoring/devices/{device_id}/credentials", headers=staff_headers()
        )
        assert issued.status_code == 201, issued.text
        return device_id, issued.json()["token"]

    async def post(self, token: str, document: Any, fmt: str = "caremesh-v1") -> httpx.Response:
        return await self.client.post(
            "/v1/monitoring/readings",
            params={"format": fmt},
            json=document,
            headers={"authorization": f"Device {token}"},
        )

    async def staff_get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=staff_headers())

    async def scalar(self, sql: str, *args: Any) -> Any:
        async with self.db.read() as conn:
            return await conn.fetchval(sql, *args)
