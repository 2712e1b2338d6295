"""A simulated day with faults: every reading sent is stored, a duplicate, or dead-lettered with a reason."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from monitoring_harness import MonitoringApp

from caremesh.cli.devices import simulate
from caremesh.modules.monitoring.application.simulation import build_plan


async def test_a_faulty_day_reconciles_exactly(monitoring: MonitoringApp) -> None:
    now = datetime.now(UTC)
    plan = build_plan(20, 24, now=now, run_id="rec", faults=True, seed=11, fault_share=0.2)
    faults = Counter(r.fault for r in plan.readings if r.fault)
    assert set(faults) == {"duplicate", "clock-skew", "out-of-range", "wrong-unit", "malformed"}

    totals = await simulate(monitoring.client, plan, since=now - timedelta(hours=25), batch_size=25)

    expected = plan.expected()
    assert {k: totals[k] for k in expected} == expected
    assert sum(totals.values()) == len(plan.readings)
    stored_readings = await monitoring.scalar("SELECT COUNT(DISTINCT reading_id) FROM reading_values")
    dead_letters = await monitoring.scalar("SELECT COUNT(*) FROM rejected_readings")
    assert stored_readings == expected["stored"]
    assert dead_letters == expected["rejected"]
    reasons = await monitoring.scalar(
        "SELECT COUNT(*) FROM rejected_readings WHERE reason = '' OR message = ''"
    )
    assert reasons == 0
