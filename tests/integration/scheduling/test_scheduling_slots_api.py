"""Slot generation and search through the HTTP API: idempotent, overlap-free, paged, validated."""

from __future__ import annotations

import itertools
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from scheduling_harness import PROBLEM, TEST_MONDAY, SchedulingApp


async def test_generating_the_same_week_twice_creates_it_once(api: SchedulingApp) -> None:
    schedule = await api.create_schedule(timezone="America/New_York")
    first = await api.generate(
        schedule["id"], hours=[{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "15:00"}]
    )
    assert (first["planned"], first["created"]) == (5 * 10, 50)
    again = await api.generate(
        schedule["id"], hours=[{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "15:00"}]
    )
    assert (again["created"], again["skipped"]) == (0, 50)
    assert await api.scalar("SELECT count(*) FROM slots") == 50

    zone = ZoneInfo("America/New_York")
    starts = [datetime.fromisoformat(s["start"]) for s in await api.slots(schedule_id=schedule["id"])]
    local_starts = {start.astimezone(zone).time() for start in starts}
    assert min(local_starts) == time(9) and max(local_starts) == time(14, 30)
    assert time(12) not in local_starts


async def test_a_different_slot_length_only_fills_free_time(api: SchedulingApp) -> None:
    schedule = await api.create_schedule()
    await api.generate(schedule["id"], hours=[{"start": "09:00", "end": "10:00"}])
    wider = await api.generate(schedule["id"], hours=[{"start": "09:00", "end": "11:00"}], slot_minutes=20)
    assert wider["created"] == 5 * 3  # 10:00, 10:20 and 10:40 each day; 09:00-10:00 is taken
    slots = await api.slots(schedule_id=schedule["id"])
    spans = sorted((datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])) for s in slots)
    assert all(before[1] <= after[0] for before, after in itertools.pairwise(spans))


async def test_slots_are_searched_by_time_and_status_and_paged_without_gaps(api: SchedulingApp) -> None:
    schedule = await api.create_schedule()
    other = await api.create_schedule(practitioner_id="prac-t-0002")
    await api.generate(schedule["id"])
    await api.generate(other["id"])
    everything = await api.slots(schedule_id=schedule["id"])
    assert len(everything) == 30 and all(s["schedule_id"] == schedule["id"] for s in everything)

    paged: list[dict[str, Any]] = []
    params: dict[str, Any] = {"schedule_id": schedule["id"], "limit": 7}
    while True:
        page = (await api.client.get("/v1/slots", params=params)).json()
        paged += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert paged == everything

    tuesday = everything[6]["start"]
    window = await api.slots(schedule_id=schedule["id"], start=tuesday, end=everything[12]["start"])
    assert [s["id"] for s in window] == [s["id"] for s in everything[6:12]]
    assert (await api.book(everything[0]["id"])).status_code == 201
    busy = await api.slots(schedule_id=schedule["id"], status="busy")
    assert [s["id"] for s in busy] == [everything[0]["id"]]
    assert len(await api.slots(status="free")) == 59


async def test_staff_block_and_unblock_a_slot(api: SchedulingApp) -> None:
    schedule = await api.create_schedule()
    await api.generate(schedule["id"])
    first, second = (await api.slots(schedule_id=schedule["id"]))[:2]
    blocked = await api.client.post(f"/v1/slots/{first['id']}/block")
    assert blocked.json()["status"] == "blocked"
    assert (await api.book(first["id"])).status_code == 409
    assert (await api.client.post(f"/v1/slots/{first['id']}/block")).status_code == 409
    assert (await api.client.post(f"/v1/slots/{first['id']}/unblock")).json()["status"] == "free"
    assert (await api.book(second["id"])).status_code == 201
    assert (await api.client.post(f"/v1/slots/{second['id']}/block")).status_code == 409
    assert (await api.client.get(f"/v1/slots/{second['id']}")).json()["status"] == "busy"
    assert (await api.client.post("/v1/slots/no-such-slot/block")).status_code == 404
    assert (await api.client.get("/v1/slots/no-such-slot")).status_code == 404


def generation(**overrides: Any) -> dict[str, Any]:
    monday = TEST_MONDAY.isoformat()
    body = {"start_date": monday, "end_date": monday, "hours": [{"start": "09:00", "end": "10:00"}]}
    return {**body, "slot_minutes": 30, **overrides}


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (generation(end_date="2020-01-01"), "end_date"),
        (generation(start_date="2031-02-30"), "start_date"),
        (generation(start_date=20310203), "start_date"),
        (generation(hours=[{"start": "12:00", "end": "09:00"}]), "after their start"),
        (generation(hours=[{"start": "09:00+02:00", "end": "10:00"}]), "offset"),
        (
            generation(hours=[{"start": "09:00", "end": "11:00"}, {"start": "10:00", "end": "12:00"}]),
            "overlap",
        ),
        (generation(hours=[]), "hours"),
        (generation(days_of_week=[8]), "days_of_week"),
        (generation(slot_minutes="30"), "slot_minutes"),
        (generation(slot_minutes=2), "slot_minutes"),
    ],
)
async def test_bad_availability_is_refused_with_422(
    api: SchedulingApp, body: dict[str, Any], mentions: str
) -> None:
    schedule = await api.create_schedule()
    response = await api.client.post(f"/v1/schedules/{schedule['id']}/slots", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert mentions in response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2031-01-01T09:00:00"},
        {"end": "2031-01-01"},
        {"start": "2031-01-02T00:00:00Z", "end": "2031-01-01T00:00:00Z"},
        {"start": "yesterday"},
        {"status": "maybe"},
        {"limit": 201},
        {"cursor": "eyJub3QiOiAiYSBsaXN0In0"},
    ],
)
async def test_bad_slot_searches_are_400(api: SchedulingApp, params: dict[str, Any]) -> None:
    response = await api.client.get("/v1/slots", params=params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_generating_for_an_unknown_schedule_is_404(api: SchedulingApp) -> None:
    response = await api.client.post("/v1/schedules/no-such-schedule/slots", json=generation())
    assert response.status_code == 404
