"""The demo loader: three schedules, two working weeks of slots, a few booked demo patients."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduling_harness import SchedulingApp

from caremesh.modules.scheduling.module import MODULE

TABLES = ("schedules", "slots", "appointments", "outbox")


async def row_counts(api: SchedulingApp) -> dict[str, int]:
    return {table: int(await api.scalar(f"SELECT count(*) FROM {table}")) for table in TABLES}


async def test_the_demo_loads_once_and_running_it_again_adds_nothing(api: SchedulingApp) -> None:
    assert MODULE.demo is not None
    ctx = api.runtime.contexts["scheduling"]
    summary = await MODULE.demo(ctx)
    assert summary == {"schedules": 3, "slots": 3 * 14 * 14, "appointments": 4}
    counts = await row_counts(api)

    assert await MODULE.demo(ctx) == {"schedules": 0, "slots": 0, "appointments": 0}
    assert await row_counts(api) == counts

    for patient_id, expected in (("pat-demo-0001", 2), ("pat-demo-0002", 1), ("pat-demo-0003", 1)):
        listed = (await api.client.get("/v1/appointments", params={"patient_id": patient_id})).json()
        assert len(listed["items"]) == expected
        assert all(item["status"] == "booked" for item in listed["items"])
        assert all(datetime.fromisoformat(item["start"]) > datetime.now(UTC) for item in listed["items"])
    schedules = (await api.client.get("/v1/schedules", params={"practitioner_id": "prac-demo-0003"})).json()
    assert [s["timezone"] for s in schedules["items"]] == ["Europe/Berlin"]
    assert counts["outbox"] == 4
