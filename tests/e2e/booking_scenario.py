"""The end-to-end booking scenario, written once and run against any topology."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from caremesh.kernel.security.tokens import issue_token

PATIENT = "pat-e2e-0001"
EMAIL = "e2e.patient@example.org"


def auth_headers() -> dict[str, str]:
    token = issue_token(subject="e2e-clinician", client_id="e2e-app", kind="user", scopes=["user/*.cruds"])
    return {"Authorization": f"Bearer {token}"}


async def _free_slot(client: httpx.AsyncClient, scheduling: str) -> str:
    schedule = await client.post(
        f"{scheduling}/v1/schedules",
        json={
            "practitioner_id": "prac-e2e-1",
            "service_type": "general-practice",
            "timezone": "UTC",
        },
    )
    assert schedule.status_code == 201, schedule.text
    schedule_id = schedule.json()["id"]
    start = (datetime.now(UTC) + timedelta(days=2)).date()
    generated = await client.post(
        f"{scheduling}/v1/schedules/{schedule_id}/slots",
        json={
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=6)).isoformat(),
            "days_of_week": [1, 2, 3, 4, 5, 6, 7],
            "hours": [{"start": "09:00", "end": "11:00"}],
            "slot_minutes": 30,
        },
    )
    assert generated.status_code in (200, 201), generated.text
    slots = await client.get(
        f"{scheduling}/v1/slots",
        params={
            "schedule_id": schedule_id,
            "status": "free",
            "limit": 1,
        },
    )
    return str(slots.json()["items"][0]["id"])


async def _wait_for_delivery(client: httpx.AsyncClient, notify: str, timeout: float) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        listed = await client.get(f"{notify}/v1/notifications", params={"patient_id": PATIENT})
        assert listed.status_code == 200, listed.text
        items = [n for n in listed.json()["items"] if n["kind"] == "message"]
        if items and all(n["status"] in ("delivered", "failed") for n in items):
            return items
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"confirmation not delivered in {timeout} s: {items}")
        await asyncio.sleep(0.2)


async def run_booking_scenario(scheduling: str, notify: str, *, timeout: float = 30.0) -> dict:
    """Book an appointment through scheduling; return what notify delivered about it."""
    async with httpx.AsyncClient(headers=auth_headers(), timeout=10) as client:
        recipient = await client.put(
            f"{notify}/v1/notify/recipients/{PATIENT}",
            json={
                "email": EMAIL,
                "channels": ["email"],
                "timezone": "Europe/Berlin",
            },
        )
        assert recipient.status_code in (200, 201), recipient.text
        slot_id = await _free_slot(client, scheduling)
        key = {"Idempotency-Key": str(uuid.uuid4())}
        body = {"slot_id": slot_id, "patient_id": PATIENT}
        booked = await client.post(f"{scheduling}/v1/appointments", json=body, headers=key)
        retried = await client.post(f"{scheduling}/v1/appointments", json=body, headers=key)
        assert booked.status_code == 201, booked.text
        assert retried.status_code == 201 and retried.json()["id"] == booked.json()["id"]
        assert retried.headers["idempotent-replayed"] == "true"
        delivered = await _wait_for_delivery(client, notify, timeout)
    return {"appointment": booked.json(), "notifications": delivered}
