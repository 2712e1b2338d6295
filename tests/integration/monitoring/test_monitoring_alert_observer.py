"""Alert evaluation inside the readings transaction: thresholds, dedup, storms, trends, drift (both DBs)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import orjson
import pytest
from monitoring_alert_harness import AlertingApp, hours_ago, reading, running

from caremesh.modules.monitoring.domain.care_plan_parsing import care_plan_to_dict, default_care_plan


@pytest.fixture
async def alerting(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    async with running(database_url, monkeypatch) as app:
        yield app


async def test_a_critical_glucose_raises_an_open_alert_and_an_event(alerting: AlertingApp) -> None:
    await alerting.accept(reading("pat-a", "glucose", glucose=48), reading("pat-b", "glucose", glucose=110))
    (alert,) = await alerting.alerts()
    assert (alert["patient_id"], alert["rule_id"], alert["severity"], alert["status"]) == (
        "pat-a", "glucose-low", "critical", "open",
    )  # fmt: skip
    assert (alert["metric"], alert["last_value"], alert["breach_count"], alert["notified"]) == (
        "glucose",
        48,
        1,
        True,
    )
    assert await alerting.outbox_types() == ["monitoring.AlertRaised"]


async def test_a_flooding_device_makes_one_alert_not_a_storm(alerting: AlertingApp) -> None:
    start = hours_ago(2)
    for batch in range(4):
        await alerting.accept(
            *[
                reading(
                    "pat-flood", "glucose", start + timedelta(seconds=batch * 500 + i), glucose=60 + (i % 5)
                )
                for i in range(500)
            ]
        )
    (alert,) = await alerting.alerts()
    assert alert["breach_count"] == 2000
    assert alert["last_value"] == 60 + (499 % 5)  # the value of the latest measurement
    assert await alerting.outbox_types() == ["monitoring.AlertRaised"]


async def test_a_worse_breach_reopens_an_acknowledged_alert_and_tells_the_team_again(
    alerting: AlertingApp,
) -> None:
    await alerting.accept(reading("pat-w", "glucose", glucose=65))
    (alert,) = await alerting.alerts()
    ack = await alerting.client.post(
        f"/v1/monitoring/alerts/{alert['id']}/acknowledge", json={"note": "calling"}
    )
    assert ack.status_code == 200
    await alerting.accept(reading("pat-w", "glucose", glucose=66))  # same severity: counted only
    assert (await alerting.alerts())[0]["status"] == "acknowledged"
    await alerting.accept(reading("pat-w", "glucose", glucose=49))
    (worse,) = await alerting.alerts()
    assert (worse["id"], worse["severity"], worse["status"], worse["breach_count"]) == (
        alert["id"],
        "critical",
        "open",
        3,
    )
    assert await alerting.outbox_types() == ["monitoring.AlertRaised", "monitoring.AlertRaised"]
    detail = (await alerting.client.get(f"/v1/monitoring/alerts/{alert['id']}")).json()
    assert [h["action"] for h in detail["history"]] == ["raised", "acknowledged", "severity-increased"]


async def test_a_resolved_alert_lets_the_next_breach_raise_a_new_one(alerting: AlertingApp) -> None:
    await alerting.accept(reading("pat-r", "glucose", glucose=65))
    (first,) = await alerting.alerts()
    await alerting.client.post(f"/v1/monitoring/alerts/{first['id']}/resolve", json={"note": "ate something"})
    await alerting.accept(reading("pat-r", "glucose", glucose=64))
    (second,) = await alerting.alerts()
    assert second["id"] != first["id"] and second["breach_count"] == 1


async def test_the_rate_cap_holds_back_non_critical_notifications_but_never_critical(
    alerting: AlertingApp,
) -> None:
    plan = care_plan_to_dict(default_care_plan())
    plan["rate_cap_per_hour"] = 2
    response = await alerting.client.put("/v1/monitoring/patients/pat-cap/care-plan", json=plan)
    assert response.status_code == 200, response.text
    await alerting.accept(
        reading("pat-cap", "glucose", glucose=65),
        reading("pat-cap", "blood-pressure", systolic=165, diastolic=85),
        reading("pat-cap", "pulse-oximetry", spo2=95),
        reading("pat-cap", "temperature", temperature=38.5),
    )
    first = {a["rule_id"]: a["notified"] for a in await alerting.alerts()}
    assert len(first) == 4 and sum(first.values()) == 2  # all on the dashboard, two pushed
    await alerting.accept(reading("pat-cap", "temperature", temperature=34.8))  # a new rule, critical
    alerts = {a["rule_id"]: a for a in await alerting.alerts()}
    assert alerts["temperature-low"]["severity"] == "critical" and alerts["temperature-low"]["notified"]
    assert (await alerting.outbox_types()).count("monitoring.AlertRaised") == 3


async def test_weight_gain_over_a_day_raises_a_trend_alert_across_batches(alerting: AlertingApp) -> None:
    await alerting.accept(reading("pat-hf", "weight", hours_ago(30), weight=82.0))
    await alerting.accept(reading("pat-hf", "weight", hours_ago(22), weight=82.3))
    assert await alerting.alerts() == []
    await alerting.accept(reading("pat-hf", "weight", hours_ago(1), weight=83.3))  # +1.0 kg on 22 h ago
    (alert,) = await alerting.alerts()
    assert (alert["rule_id"], alert["category"], alert["severity"]) == ("weight-gain-day", "trend", "warning")
    assert alert["last_value"] == pytest.approx(1.0)


async def test_sustained_drift_is_flagged_below_every_threshold(alerting: AlertingApp) -> None:
    start = hours_ago(24 * 7)
    usual = [
        reading("pat-d", "blood-pressure", start + timedelta(hours=8 * i), systolic=120 + i % 3, diastolic=80)
        for i in range(12)
    ]
    await alerting.accept(*usual)
    await alerting.accept(
        *[reading("pat-d", "blood-pressure", hours_ago(3 - i), systolic=150, diastolic=80) for i in range(2)]
    )
    assert await alerting.alerts() == []
    await alerting.accept(reading("pat-d", "blood-pressure", hours_ago(0.5), systolic=151, diastolic=80))
    (alert,) = await alerting.alerts()
    assert (alert["rule_id"], alert["category"], alert["severity"]) == ("drift-systolic", "drift", "low")


async def test_latest_values_keep_the_newest_measurement(alerting: AlertingApp) -> None:
    await alerting.accept(reading("pat-l", "weight", hours_ago(1), weight=80.5))
    await alerting.accept(
        reading("pat-l", "weight", hours_ago(5), weight=79.0)
    )  # late: older than the stored one
    summary = (await alerting.client.get("/v1/monitoring/patients/pat-l/summary")).json()
    assert summary["latest"]["weight"]["value"] == 80.5
    assert summary["adherence"]["days_with_readings"] >= 1


async def test_concurrent_batches_for_one_rule_share_one_alert(alerting: AlertingApp) -> None:
    start = hours_ago(1)
    batches = [
        [reading("pat-c", "glucose", start + timedelta(seconds=b * 100 + i), glucose=60) for i in range(50)]
        for b in range(4)
    ]
    await asyncio.gather(*(alerting.accept(*batch) for batch in batches))
    (alert,) = await alerting.alerts()
    assert alert["breach_count"] == 200
    assert await alerting.outbox_types() == ["monitoring.AlertRaised"]


async def test_evaluation_commits_with_the_readings_or_not_at_all(alerting: AlertingApp) -> None:
    class IngestionFailed(Exception):
        pass

    with pytest.raises(IngestionFailed):
        async with alerting.db.transaction() as conn:
            await alerting.observer.on_accepted(conn, [reading("pat-x", "glucose", glucose=40)])
            raise IngestionFailed  # e.g. storing the readings failed after evaluation
    assert await alerting.alerts() == []
    assert await alerting.outbox_types() == []
    assert await alerting.scalar("SELECT COUNT(*) FROM alert_latest") == 0


async def test_a_reading_flagged_as_an_implausible_jump_is_judged_but_kept_out_of_trends(
    alerting: AlertingApp,
) -> None:
    await alerting.accept(reading("pat-j", "weight", hours_ago(20), weight=82.0))
    jump = reading("pat-j", "weight", hours_ago(2), weight=88.0)
    await alerting.accept(replace(jump, flags=frozenset({"implausible-jump"})))
    assert await alerting.alerts() == []  # no "weight gain" from one scale error
    assert await alerting.scalar("SELECT COUNT(*) FROM alert_weight_log") == 1
    crisis = reading("pat-j", "glucose", glucose=40)
    await alerting.accept(replace(crisis, flags=frozenset({"implausible-jump"})))
    assert [a["rule_id"] for a in await alerting.alerts()] == ["glucose-low"]


async def test_concurrent_batches_of_one_patient_all_reach_the_baseline(alerting: AlertingApp) -> None:
    start = hours_ago(3)
    batches = [
        [reading("pat-bl", "glucose", start + timedelta(minutes=b * 20 + i), glucose=110) for i in range(10)]
        for b in range(4)
    ]
    await asyncio.gather(*(alerting.accept(*batch) for batch in batches))
    samples = await alerting.scalar("SELECT samples FROM alert_baselines WHERE patient_id = 'pat-bl'")
    assert len(orjson.loads(samples)) == 40
