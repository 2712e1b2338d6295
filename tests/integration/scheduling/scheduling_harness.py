"""Helpers for driving a running scheduling process through its HTTP API (imported by tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from caremesh.bootstrap import Runtime
from caremesh.kernel.db.base import Database
from caremesh.kernel.ids import new_id
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

PROBLEM = "application/problem+json"


def next_monday(after_days: int = 21) -> date:
    day = datetime.now(UTC).date() + timedelta(days=after_days)
    return day + timedelta(days=(7 - day.weekday()) % 7)


# Fixed once per run, so a test straddling midnight still generates the same week every time.
TEST_MONDAY = next_monday()


@dataclass
class SchedulingApp:
    client: httpx.AsyncClient
    runtime: Runtime

    @property
    def db(self) -> Database:
        return self.runtime.contexts["scheduling"].db

    async def create_schedule(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "practitioner_id": "prac-t-0001",
            "service_type": "general-practice",
            "timezone": "Europe/Berlin",
        }
        response = await self.client.post("/v1/schedules", json={**body, **overrides})
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def generate(self, schedule_id: str, **overrides: Any) -> dict[str, Any]:
        monday = TEST_MONDAY
        body = {
            "start_date": monday.isoformat(),
            "end_date": (monday + timedelta(days=4)).isoformat(),
            "hours": [{"start": "09:00", "end": "12:00"}],
            "slot_minutes": 30,
        }
        response = await self.client.post(f"/v1/schedules/{schedule_id}/slots", json={**body, **overrides})
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def slots(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/v1/slots", params={"limit": 200, **params})
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def book(self, slot_id: str, patient_id: str = "pat-t-0001", **extra: Any) -> httpx.Response:
        key = extra.pop("key", new_id())
        body = {"slot_id": slot_id, "patient_id": patient_id, **extra}
        return await self.client.post("/v1/appointments", json=body, headers={"Idempotency-Key": key})

    async def scalar(self, sql: str, *args: Any) -> Any:
        async with self.db.read() as conn:
            return await conn.fetchval(sql, *args)

    async def insert_past_slot(self, schedule_id: str, status: str = "free") -> str:
        """Slots are never generated in the past, so tests that need one write it directly."""
        slot_id, start = new_id(), datetime.now(UTC) - timedelta(hours=2)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO slots (id, schedule_id, start_at, end_at, status, created_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $3, $3)",
                slot_id,
                schedule_id,
                start,
                start + timedelta(minutes=30),
                status,
            )
        return slot_id


def topology_for(database_url: str) -> Any:
    return parse(
        {
            "name": "scheduling-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": ["scheduling"]}},
        }
    )


def bearer(subject: str = "user-sched-0001", client_id: str = "scheduling-tests") -> dict[str, str]:
    token = issue_token(subject=subject, client_id=client_id, kind="user", scopes=["scheduling"])
    return {"authorization": f"Bearer {token}"}
