"""Schedules through the HTTP API: create, read, list with paging, (de)activate, bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from scheduling_harness import PROBLEM, TEST_MONDAY, SchedulingApp


async def test_a_schedule_is_created_read_and_listed_page_by_page(api: SchedulingApp) -> None:
    created = await api.create_schedule(location="Ward 3, Room 12", timezone="America/New_York")
    reread = await api.client.get(f"/v1/schedules/{created['id']}")
    assert reread.status_code == 200
    assert reread.json() == created
    assert created["timezone"] == "America/New_York" and created["active"] is True
    for n in (2, 3):
        await api.create_schedule(practitioner_id=f"prac-t-000{n}")

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.client.get("/v1/schedules", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert len(seen) == 3 and len(set(seen)) == 3

    filtered = (await api.client.get("/v1/schedules", params={"practitioner_id": "prac-t-0002"})).json()
    assert [item["practitioner_id"] for item in filtered["items"]] == ["prac-t-0002"]


async def test_a_retried_create_with_the_same_key_is_replayed_not_duplicated(api: SchedulingApp) -> None:
    body = {"practitioner_id": "prac-t-0009", "service_type": "dermatology", "timezone": "UTC"}
    headers = {"Idempotency-Key": "create-schedule-0009"}
    first = await api.client.post("/v1/schedules", json=body, headers=headers)
    second = await api.client.post("/v1/schedules", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["location"] == first.headers["location"] == f"/v1/schedules/{first.json()['id']}"
    assert second.headers.get("idempotent-replayed") == "true"
    assert await api.scalar("SELECT count(*) FROM schedules") == 1


async def test_an_inactive_schedule_takes_no_new_slots_or_bookings(api: SchedulingApp) -> None:
    schedule = await api.create_schedule()
    await api.generate(schedule["id"])
    slot = (await api.slots(schedule_id=schedule["id"]))[0]

    deactivated = await api.client.post(f"/v1/schedules/{schedule['id']}/deactivate")
    assert deactivated.json()["active"] is False
    monday = TEST_MONDAY.isoformat()
    generate = {"start_date": monday, "end_date": monday, "hours": [{"start": "13:00", "end": "14:00"}]}
    refused = await api.client.post(
        f"/v1/schedules/{schedule['id']}/slots", json={**generate, "slot_minutes": 30}
    )
    assert refused.status_code == 409
    assert (await api.book(slot["id"])).status_code == 409

    assert (await api.client.post(f"/v1/schedules/{schedule['id']}/activate")).json()["active"] is True
    assert (await api.book(slot["id"])).status_code == 201
    listed = (await api.client.get("/v1/schedules", params={"active": "false"})).json()
    assert listed["items"] == []


GOOD = {"practitioner_id": "prac-t-0001", "service_type": "gp", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(
    ("body", "status", "mentions"),
    [
        ({**GOOD, "timezone": "Mars/Olympus_Mons"}, 422, "IANA"),
        ({**GOOD, "timezone": "../../etc/passwd"}, 422, "IANA"),
        ({**GOOD, "active": "yes"}, 422, "active"),
        ({**GOOD, "practitioner_id": 42}, 422, "practitioner_id"),
        ({**GOOD, "practitioner_id": ""}, 422, "practitioner_id"),
        ({**GOOD, "colour": "blue"}, 422, "colour"),
        ({"practitioner_id": "prac-t-0001"}, 422, "service_type"),
        ([GOOD], 422, "body"),
    ],
)
async def test_bad_schedule_bodies_get_precise_problems(
    api: SchedulingApp, body: Any, status: int, mentions: str
) -> None:
    response = await api.client.post("/v1/schedules", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert mentions in response.json()["detail"]


async def test_malformed_json_unknown_ids_and_missing_tokens_are_4xx(api: SchedulingApp) -> None:
    malformed = await api.client.post(
        "/v1/schedules", content=b'{"practitioner_id": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.headers["content-type"].startswith(PROBLEM)
    assert (await api.client.get("/v1/schedules/no-such-schedule")).status_code == 404
    assert (await api.client.post("/v1/schedules/no-such-schedule/deactivate")).status_code == 404
    bad_cursor = await api.client.get("/v1/schedules", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 400
    assert (await api.client.get("/v1/schedules", params={"limit": 0})).status_code == 400
    anonymous = httpx.AsyncClient(transport=api.client._transport, base_url="http://scheduling.test")
    async with anonymous:
        assert (await anonymous.get("/v1/schedules")).status_code == 401
        assert (await anonymous.post("/v1/schedules", json=GOOD)).status_code == 401
