"""The real monitoring module: a reading ingested over HTTPS is evaluated in the same transaction."""

from __future__ import annotations

from monitoring_harness import MonitoringApp, bp, minutes_ago


async def test_an_ingested_crisis_reading_raises_an_alert(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device(patient="pat-wire-1")
    response = await monitoring.post(token, {"readings": [bp(minutes_ago(5), systolic=190, diastolic=100)]})
    assert response.status_code == 200, response.text
    alerts = (await monitoring.staff_get("/v1/monitoring/alerts", patient_id="pat-wire-1")).json()["items"]
    assert [(a["rule_id"], a["severity"], a["last_value"]) for a in alerts] == [("bp-high", "critical", 190)]
    latest = (await monitoring.staff_get("/v1/monitoring/patients/pat-wire-1/summary")).json()["latest"]
    assert latest["systolic"]["value"] == 190
