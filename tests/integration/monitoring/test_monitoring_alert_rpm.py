"""The RPM programme: 99454 from 16 days of readings, 99457/99458 from logged minutes, each once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from monitoring_alert_harness import AlertingApp, reading, running

from caremesh.kernel.ids import new_id


@pytest.fixture
async def alerting(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    async with running(database_url, monkeypatch) as app:
        yield app


async def earned(app: AlertingApp) -> list[dict[str, Any]]:
    async with app.db.read() as conn:
        rows = await conn.fetch(
            "SELECT body FROM outbox WHERE event_type = 'monitoring.RpmServiceEarned' ORDER BY seq"
        )
    return [orjson.loads(row["body"])["payload"] for row in rows]


async def test_99454_is_earned_once_on_the_16th_day_of_a_period(alerting: AlertingApp) -> None:
    enrolled = datetime.now(UTC).date() - timedelta(days=20)
    response = await alerting.client.put(
        "/v1/monitoring/patients/pat-rpm/rpm-enrolment", json={"enrolled_on": enrolled.isoformat()}
    )
    assert response.status_code == 200
    day0 = datetime.combine(enrolled, datetime.min.time(), UTC) + timedelta(hours=8)
    for day in range(15):  # two readings a day: days, not readings, count
        at = day0 + timedelta(days=day)
        await alerting.accept(
            reading("pat-rpm", "weight", at, weight=80), reading("pat-rpm", "weight", at, weight=80.1)
        )
    assert await earned(alerting) == []
    status = (await alerting.client.get("/v1/monitoring/patients/pat-rpm/rpm")).json()
    assert status["adherence"]["days_with_readings"] == 15 and status["adherence"]["days_remaining"] == 1
    await alerting.accept(reading("pat-rpm", "weight", day0 + timedelta(days=15), weight=80))
    await alerting.accept(reading("pat-rpm", "weight", day0 + timedelta(days=16), weight=80))
    (charge,) = await earned(alerting)
    assert (charge["cpt_code"], charge["period_start"], charge["sequence"]) == (
        "99454",
        enrolled.isoformat(),
        1,
    )
    status = (await alerting.client.get("/v1/monitoring/patients/pat-rpm/rpm")).json()
    assert status["adherence"]["meets_99454"] is True
    assert [c["cpt_code"] for c in status["charges"]] == ["99454"]


async def log(app: AlertingApp, minutes: int, key: str | None = None, **extra: Any) -> Any:
    headers = {"Idempotency-Key": key or new_id()}
    return await app.client.post(
        "/v1/monitoring/patients/pat-cm/care-minutes", json={"minutes": minutes, **extra}, headers=headers
    )


async def test_care_minutes_earn_99457_then_99458_per_20_minutes_once_each(alerting: AlertingApp) -> None:
    assert (await log(alerting, 15)).status_code == 201
    assert await earned(alerting) == []
    key = new_id()
    second = await log(alerting, 10, key)
    assert second.status_code == 201 and second.json()["month_total"] == 25
    replay = await log(alerting, 10, key)  # a retried request is not logged twice
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json() == second.json()
    assert [c["cpt_code"] for c in await earned(alerting)] == ["99457"]
    assert (await log(alerting, 20)).json()["month_total"] == 45
    assert (await log(alerting, 14)).json()["month_total"] == 59
    codes = [(c["cpt_code"], c["sequence"]) for c in await earned(alerting)]
    assert codes == [("99457", 1), ("99458", 1)]
    summary = (await alerting.client.get("/v1/monitoring/patients/pat-cm/summary")).json()
    assert summary["care_minutes_this_month"] == 59


async def test_bad_care_minute_entries_are_refused(alerting: AlertingApp) -> None:
    assert (await log(alerting, 0)).status_code == 422
    assert (await log(alerting, 241)).status_code == 422
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    assert (await log(alerting, 10, performed_at=future)).status_code == 422
    assert (await log(alerting, 10, performed_at="2026-01-01T10:00:00")).status_code == 400  # no offset
    no_key = await alerting.client.post("/v1/monitoring/patients/pat-cm/care-minutes", json={"minutes": 5})
    assert no_key.status_code == 400
