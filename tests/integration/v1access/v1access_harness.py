"""Scheduling and notify in one process, called as patients and staff (imported by the v1access tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from tests.support.asgi import asgi_client

from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel.ids import new_id
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

PROBLEM = "application/problem+json"


def bearer(subject: str, *roles: str, patient: str | None = None, **claims: str) -> dict[str, str]:
    extra: dict[str, Any] = {"roles": list(roles), **claims}
    if patient is not None:
        extra["patient"] = patient
    token = issue_token(subject=subject, client_id="v1access-tests", kind="user", scopes=["user/*.cruds"],
                        extra_claims=extra)  # fmt: skip
    return {"authorization": f"Bearer {token}"}


def patient_token(patient_id: str) -> dict[str, str]:
    return bearer(f"user-{patient_id}", "patient", patient=patient_id)


def staff() -> dict[str, str]:
    """A care coordinator (tokens are issued per test: each test has its own signing key)."""
    return bearer("coordinator-1", "care-coordinator")


@dataclass
class CareApp:
    client: httpx.AsyncClient
    runtime: Runtime

    async def audit_rows(self, module: str) -> list[dict[str, Any]]:
        async with self.runtime.contexts[module].db.read() as conn:
            rows = await conn.fetch("SELECT body FROM audit_event ORDER BY seq")
        return [orjson.loads(row["body"]) for row in rows]

    async def break_audit(self, module: str) -> None:
        """The audit store disappears: every PHI answer must now be 503 and carry no data."""
        async with self.runtime.contexts[module].db.transaction() as conn:
            await conn.execute("ALTER TABLE audit_event RENAME TO audit_event_gone")

    async def book(self, patient_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """A fresh schedule with one slot, booked for ``patient_id`` (by a care coordinator by default)."""
        coordinator = staff()
        schedule = await self.client.post(
            "/v1/schedules",
            json={"practitioner_id": "prac-v1a", "service_type": "general-practice", "timezone": "UTC"},
            headers=coordinator,
        )
        assert schedule.status_code == 201, schedule.text
        day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
        generation = {"start_date": day, "end_date": day, "days_of_week": [1, 2, 3, 4, 5, 6, 7],
                      "hours": [{"start": "09:00", "end": "09:30"}], "slot_minutes": 30}  # fmt: skip
        slots = await self.client.post(
            f"/v1/schedules/{schedule.json()['id']}/slots", json=generation, headers=coordinator
        )
        assert slots.status_code == 200 and slots.json()["created"] == 1, slots.text
        [slot] = (await self.client.get("/v1/slots", params={"schedule_id": schedule.json()["id"]},
                                        headers=coordinator)).json()["items"]  # fmt: skip
        booked = await self.client.post(
            "/v1/appointments",
            json={"slot_id": slot["id"], "patient_id": patient_id, "reason": "check-up"},
            headers={**(headers or coordinator), "Idempotency-Key": new_id()},
        )
        assert booked.status_code == 201, booked.text
        return dict(booked.json())


@asynccontextmanager
async def running(database_url: str) -> AsyncIterator[CareApp]:
    topology = parse(
        {
            "name": "v1access-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": ["scheduling", "notify"]}},
            "modules": {"edge": {"rate_limit": False}},
        }
    )
    runtime = build_runtime(topology)
    async with asgi_client(runtime, base_url="http://v1access.test") as client:
        yield CareApp(client, runtime)
