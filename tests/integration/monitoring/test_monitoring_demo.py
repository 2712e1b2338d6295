"""The demo loader gives the demo patients devices and three days of readings, once."""

from __future__ import annotations

from monitoring_harness import MonitoringApp


async def test_demo_loads_once(monitoring: MonitoringApp) -> None:
    ctx = monitoring.runtime.contexts["monitoring"]
    demo = monitoring.runtime.definitions["monitoring"].demo
    assert demo is not None

    first = await demo(ctx)
    again = await demo(ctx)

    assert first["devices"] == 15 and first["stored"] > 100 and first["rejected"] == 0
    assert again["stored"] == 0 and again["duplicate"] == first["stored"]
    latest = (await monitoring.staff_get("/v1/monitoring/patients/pat-demo-0001/latest")).json()["items"]
    metrics = {"systolic", "diastolic", "heart_rate", "weight", "glucose", "spo2", "temperature"}
    assert {i["metric"] for i in latest} == metrics
