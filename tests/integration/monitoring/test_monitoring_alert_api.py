"""The care-team alert API: lifecycle with who/when/notes, filters and paging, access, care plans."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from monitoring_alert_harness import AlertingApp, reading, running, staff

from caremesh.modules.monitoring.domain.care_plan_parsing import care_plan_to_dict, default_care_plan

PROBLEM = "application/problem+json"


@pytest.fixture
async def alerting(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    async with running(database_url, monkeypatch) as app:
        yield app


async def test_acknowledge_then_resolve_records_who_when_and_why(alerting: AlertingApp) -> None:
    await alerting.accept(reading("pat-1", "glucose", glucose=50))
    (alert,) = await alerting.alerts()
    url = f"/v1/monitoring/alerts/{alert['id']}"
    ack = await alerting.client.post(
        f"{url}/acknowledge", json={"note": "called patient"}, headers=staff("nurse-7")
    )
    assert ack.status_code == 200
    body = ack.json()
    assert body["status"] == "acknowledged" and body["next_escalation_at"] is None
    assert (body["acknowledged"]["by"], body["acknowledged"]["note"]) == ("nurse-7", "called patient")
    again = await alerting.client.post(f"{url}/acknowledge")
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    done = await alerting.client.post(
        f"{url}/resolve", json={"note": "glucose 110 after juice"}, headers=staff("dr-2")
    )
    assert done.status_code == 200 and done.json()["resolved"]["by"] == "dr-2"
    assert (await alerting.client.post(f"{url}/resolve")).status_code == 409
    history = (await alerting.client.get(url)).json()["history"]
    assert [(h["action"], h["actor"]) for h in history] == [
        ("raised", "system"), ("acknowledged", "nurse-7"), ("resolved", "dr-2"),
    ]  # fmt: skip


async def test_unknown_alerts_bad_bodies_and_bad_ids_are_clear_4xx(alerting: AlertingApp) -> None:
    missing = await alerting.client.post("/v1/monitoring/alerts/nope/acknowledge")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    await alerting.accept(reading("pat-1", "glucose", glucose=50))
    (alert,) = await alerting.alerts()
    extra = await alerting.client.post(
        f"/v1/monitoring/alerts/{alert['id']}/acknowledge", json={"colour": "red"}
    )
    assert extra.status_code == 422
    assert (
        await alerting.client.get("/v1/monitoring/alerts", params={"status": "closed"})
    ).status_code == 400
    assert (await alerting.client.get("/v1/monitoring/alerts", params={"cursor": "???"})).status_code == 400


async def test_only_staff_may_use_the_care_team_api(alerting: AlertingApp) -> None:
    anonymous = await alerting.client.get("/v1/monitoring/alerts", headers={"authorization": ""})
    assert anonymous.status_code == 401
    patient = await alerting.client.get("/v1/monitoring/alerts", headers=staff("pat-1", roles=("patient",)))
    assert patient.status_code == 403


async def test_filters_and_paging(alerting: AlertingApp) -> None:
    for i in range(5):
        await alerting.accept(reading(f"pat-{i}", "glucose", glucose=50 if i % 2 else 65))
    assert len(await alerting.alerts(severity="critical")) == 2
    assert [a["patient_id"] for a in await alerting.alerts(patient_id="pat-3")] == ["pat-3"]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await alerting.client.get("/v1/monitoring/alerts", params=params)).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    first = seen[0]
    await alerting.client.post(f"/v1/monitoring/alerts/{first}/resolve")
    assert len(await alerting.alerts()) == 4
    assert [a["id"] for a in await alerting.alerts(status="resolved")] == [first]


async def test_a_patient_care_plan_changes_what_alerts(alerting: AlertingApp) -> None:
    got = (await alerting.client.get("/v1/monitoring/patients/pat-p/care-plan")).json()
    assert got["source"] == "default"
    plan = care_plan_to_dict(default_care_plan())
    plan["thresholds"][0]["conditions"][1]["limit"] = 80  # glucose-low warning below 80 for this patient
    put = await alerting.client.put("/v1/monitoring/patients/pat-p/care-plan", json=plan)
    assert put.status_code == 200 and put.json()["source"] == "patient"
    await alerting.accept(reading("pat-p", "glucose", glucose=75), reading("pat-q", "glucose", glucose=75))
    assert [a["patient_id"] for a in await alerting.alerts()] == ["pat-p"]
    assert (await alerting.client.delete("/v1/monitoring/patients/pat-p/care-plan")).status_code == 204
    assert (await alerting.client.get("/v1/monitoring/patients/pat-p/care-plan")).json()[
        "source"
    ] == "default"


async def test_an_invalid_care_plan_is_a_422_listing_the_problems(alerting: AlertingApp) -> None:
    plan = care_plan_to_dict(default_care_plan())
    plan["thresholds"][0]["conditions"][0]["severity"] = "apocalyptic"
    plan["rate_cap_per_hour"] = -1
    response = await alerting.client.put("/v1/monitoring/patients/pat-p/care-plan", json=plan)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert len(response.json()["errors"]) == 2
    assert (await alerting.client.put("/v1/monitoring/patients/pat-p/care-plan", json=[1])).status_code == 422


async def test_the_dashboard_ranks_patients_by_their_worst_active_alert(alerting: AlertingApp) -> None:
    await alerting.accept(
        reading("pat-calm", "glucose", glucose=110),
        reading("pat-warn", "glucose", glucose=65),
        reading("pat-crit", "glucose", glucose=45),
        reading("pat-crit", "blood-pressure", systolic=165, diastolic=90),
    )
    items = (await alerting.client.get("/v1/monitoring/dashboard/patients")).json()["items"]
    assert [(p["patient_id"], p["worst_severity"], p["open"]) for p in items] == [
        ("pat-crit", "critical", 2), ("pat-warn", "warning", 1), ("pat-calm", None, 0),
    ]  # fmt: skip
    assert items[0]["by_severity"] == {"critical": 1, "warning": 1, "low": 0}
    assert items[2]["last_reading_at"] is not None
    calm = await alerting.client.get("/v1/monitoring/dashboard/patients", params={"worst_severity": "none"})
    assert [p["patient_id"] for p in calm.json()["items"]] == ["pat-calm"]


async def test_an_unreadable_stored_plan_falls_back_to_the_default_plan(alerting: AlertingApp) -> None:
    async with alerting.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO alert_care_plans (patient_id, plan, updated_by, updated_at) VALUES ($1, $2, $3, $4)",
            "pat-old", '{"thresholds": [{"rule": "legacy", "kind": "mood"}]}', "migration", datetime.now(UTC),
        )  # fmt: skip
    await alerting.accept(reading("pat-old", "glucose", glucose=50))
    assert [a["rule_id"] for a in await alerting.alerts()] == ["glucose-low"]
