"""Demo data: the synthetic ``pat-demo-000N`` patients get a full device kit and three days of readings.

Idempotent within a day: the readings end at today's midnight (UTC) and are generated from a fixed
seed, so loading again reports them as duplicates instead of adding more.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from caremesh.kernel.errors import Conflict
from caremesh.modules.monitoring.adapters import device_sql
from caremesh.modules.monitoring.application.ingest import Ingestion
from caremesh.modules.monitoring.application.registry import NewDevice, Registry
from caremesh.modules.monitoring.application.simulation import build_plan
from caremesh.modules.monitoring.domain.devices import Device

DEMO_PATIENTS = 3
DEMO_HOURS = 72


async def _device(registry: Registry, serial: str, device_type: str, patient: str, since: datetime) -> Device:
    async with registry.db.read() as conn:
        device = await device_sql.device_by_serial(conn, serial)
    if device is None:
        device = await registry.register(NewDevice(serial, device_type, "caremesh", "simulated"))
    with contextlib.suppress(Conflict):  # assigned by an earlier load
        await registry.assign(device.id, patient, since, "demo")
    return device


async def load_demo(ingestion: Ingestion, registry: Registry) -> dict[str, Any]:
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    plan = build_plan(
        DEMO_PATIENTS, DEMO_HOURS, now=end, run_id="demo", seed=2026, patient_prefix="pat-demo-"
    )
    since = end - timedelta(days=30)
    totals: Counter[str] = Counter()
    for sim in plan.devices:
        device = await _device(registry, sim.serial, sim.type, sim.patient, since)
        readings = [r.body for r in plan.readings if r.device.serial == sim.serial]
        if readings:
            result = await ingestion.ingest({"readings": readings}, "caremesh-v1", device)
            totals.update(result.summary)
    return {
        "devices": len(plan.devices),
        **{key: totals.get(key, 0) for key in ("stored", "duplicate", "rejected")},
    }
