"""Care teams, escalation of unacknowledged alerts, missing data, and delivery to staff through notify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from monitoring_alert_harness import AlertingApp, eventually, hours_ago, reading, running

from caremesh.modules.monitoring.application.alerting.raising import AlertRaiser
from caremesh.modules.monitoring.application.alerting.workers import Escalator, MissingDataWatch


@pytest.fixture
async def alerting(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    async with running(database_url, monkeypatch) as app:
        yield app


async def payloads(app: AlertingApp, event_type: str) -> list[dict[str, Any]]:
    async with app.db.read() as conn:
        rows = await conn.fetch("SELECT body FROM outbox WHERE event_type = $1 ORDER BY seq", event_type)
    return [orjson.loads(row["body"])["payload"] for row in rows]


def escalator(app: AlertingApp, minutes_later: float) -> Escalator:
    ctx = app.runtime.contexts["monitoring"]
    return Escalator(ctx.db, ctx.outbox, lambda: datetime.now(UTC) + timedelta(minutes=minutes_later))


async def test_an_unacknowledged_alert_walks_down_the_care_team(alerting: AlertingApp) -> None:
    await alerting.put_team("pat-e", ("nurse-a", "nurse"), ("dr-b", "physician"))
    team = (await alerting.client.get("/v1/monitoring/patients/pat-e/care-team")).json()
    assert [m["staff_id"] for m in team["members"]] == ["nurse-a", "dr-b"]
    await alerting.accept(reading("pat-e", "blood-pressure", systolic=185, diastolic=95))
    (raised,) = await payloads(alerting, "monitoring.AlertRaised")
    assert (raised["staff_id"], raised["severity"]) == ("nurse-a", "critical")
    assert await escalator(alerting, 4).run_once() == 0  # critical escalates after 5 minutes
    assert await escalator(alerting, 6).run_once() == 1
    (escalated,) = await payloads(alerting, "monitoring.AlertEscalated")
    assert (escalated["staff_id"], escalated["role"], escalated["level"]) == ("dr-b", "physician", 1)
    assert await escalator(alerting, 8).run_once() == 0  # the next step is 5 minutes after the last
    assert await escalator(alerting, 12).run_once() == 1  # nobody left: stays open, no event
    assert len(await payloads(alerting, "monitoring.AlertEscalated")) == 1
    (alert,) = await alerting.alerts()
    assert (alert["status"], alert["escalation_level"], alert["next_escalation_at"]) == ("open", 1, None)


async def test_an_acknowledged_alert_does_not_escalate(alerting: AlertingApp) -> None:
    await alerting.put_team("pat-k", ("nurse-a", "nurse"), ("dr-b", "physician"))
    await alerting.accept(reading("pat-k", "glucose", glucose=45))
    (alert,) = await alerting.alerts()
    await alerting.client.post(f"/v1/monitoring/alerts/{alert['id']}/acknowledge")
    assert await escalator(alerting, 60).run_once() == 0
    assert await payloads(alerting, "monitoring.AlertEscalated") == []


async def test_a_care_team_listing_a_member_twice_is_refused(alerting: AlertingApp) -> None:
    body = {"members": [{"staff_id": "n1", "role": "nurse"}, {"staff_id": "n1", "role": "nurse"}]}
    response = await alerting.client.put("/v1/monitoring/patients/pat-x/care-team", json=body)
    assert response.status_code == 400


async def test_missing_data_raises_then_clears_when_data_returns(alerting: AlertingApp) -> None:
    ctx = alerting.runtime.contexts["monitoring"]
    watch = MissingDataWatch(ctx.db, AlertRaiser(ctx.outbox), lambda: datetime.now(UTC))
    await alerting.accept(reading("pat-m", "weight", hours_ago(40), weight=80))  # weight: 36 h
    await alerting.accept(reading("pat-m", "glucose", hours_ago(40), glucose=110))  # default: 48 h
    assert await watch.run_once() == 1
    (alert,) = await alerting.alerts()
    assert (alert["rule_id"], alert["category"], alert["last_value"]) == (
        "missing-data-weight",
        "missing-data",
        40.0,
    )
    assert await watch.run_once() == 0  # still the same alert
    await alerting.accept(reading("pat-m", "weight", hours_ago(0.1), weight=80.2))
    assert await alerting.alerts() == []
    (cleared,) = await alerting.alerts(status="resolved")
    assert cleared["resolved"]["by"] == "system"


async def test_a_silence_the_team_resolved_is_not_raised_again(alerting: AlertingApp) -> None:
    ctx = alerting.runtime.contexts["monitoring"]
    watch = MissingDataWatch(ctx.db, AlertRaiser(ctx.outbox), lambda: datetime.now(UTC))
    await alerting.accept(reading("pat-s", "weight", hours_ago(50), weight=80))
    assert await watch.run_once() == 1
    (alert,) = await alerting.alerts()
    await alerting.client.post(
        f"/v1/monitoring/alerts/{alert['id']}/resolve", json={"note": "scale in repair"}
    )
    assert await watch.run_once() == 0
    assert await alerting.alerts() == []


async def test_notify_delivers_alerts_to_the_staff_members_channel(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running(database_url, monkeypatch, modules=("monitoring", "notify"), workers=True) as app:
        contact = {"email": "nurse.a@clinic.example", "channels": ["email"], "timezone": "Europe/Berlin"}
        put = await app.client.put("/v1/notify/staff/nurse-a", json=contact)
        assert put.status_code == 200, put.text
        assert (await app.client.get("/v1/notify/staff/nurse-a")).json()["staff_id"] == "nurse-a"
        await app.put_team("pat-n", ("nurse-a", "nurse"), ("dr-b", "physician"))
        await app.accept(reading("pat-n", "glucose", glucose=41))
        notify_db = app.runtime.contexts["notify"].db

        async def delivered() -> Any:
            async with notify_db.read() as conn:
                return await conn.fetchrow(
                    "SELECT template_key, channel, status, variables FROM notifications "
                    "WHERE patient_id = $1",
                    "staff:nurse-a",
                )

        row = await eventually(delivered)
        assert (row["template_key"], row["channel"]) == ("monitoring_alert_raised", "email")
        assert orjson.loads(row["variables"])["severity"] == "critical"
        await eventually(lambda: _status_is(notify_db, "staff:nurse-a", "delivered"))
        # the escalation reaches dr-b by SMS; dr-c has no contact points: recorded as skipped, not lost
        sms = {"phone": "+12025550123", "channels": ["sms"], "timezone": "America/New_York"}
        assert (await app.client.put("/v1/notify/staff/dr-b", json=sms)).status_code == 200
        await app.put_team("pat-n", ("nurse-a", "nurse"), ("dr-b", "physician"), ("dr-c", "physician"))
        ctx = app.runtime.contexts["monitoring"]
        for minutes in (6, 12):
            later = datetime.now(UTC) + timedelta(minutes=minutes)
            assert await Escalator(ctx.db, ctx.outbox, lambda at=later: at).run_once() == 1
            await app.runtime.drain_outboxes()
        await eventually(lambda: _status_is(notify_db, "staff:dr-b", "delivered"))

        async def skipped() -> Any:
            async with notify_db.read() as conn:
                return await conn.fetchval(
                    "SELECT last_error FROM notifications "
                    "WHERE patient_id = 'staff:dr-c' AND status = 'skipped'"
                )

        assert await eventually(skipped) == "no-preferences"


async def _status_is(db: Any, recipient: str, status: str) -> bool:
    async with db.read() as conn:
        found = await conn.fetchval("SELECT status FROM notifications WHERE patient_id = $1", recipient)
    return bool(found == status)


async def test_low_severity_alerts_never_escalate(alerting: AlertingApp) -> None:
    await alerting.put_team("pat-low", ("nurse-a", "nurse"), ("dr-b", "physician"))
    await alerting.accept(reading("pat-low", "pulse-oximetry", spo2=95))  # NEWS2 1 point: low
    (alert,) = await alerting.alerts()
    assert (alert["severity"], alert["next_escalation_at"]) == ("low", None)
    assert await escalator(alerting, 24 * 60).run_once() == 0


async def test_a_kind_switched_off_in_the_plan_is_not_watched(alerting: AlertingApp) -> None:
    plan = (await alerting.client.get("/v1/monitoring/patients/pat-off/care-plan")).json()["plan"]
    plan["missing_data"]["hours"] = {"weight": 0}
    put = await alerting.client.put("/v1/monitoring/patients/pat-off/care-plan", json=plan)
    assert put.status_code == 200
    ctx = alerting.runtime.contexts["monitoring"]
    watch = MissingDataWatch(ctx.db, AlertRaiser(ctx.outbox), lambda: datetime.now(UTC))
    await alerting.accept(reading("pat-off", "weight", hours_ago(100), weight=80))
    assert await watch.run_once() == 0
