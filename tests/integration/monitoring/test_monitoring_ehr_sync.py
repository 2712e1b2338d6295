"""Accepted readings become FHIR Observations in clinical, once, whatever the redeliveries."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from monitoring_harness import MonitoringApp, bp, minutes_ago, topology_for

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime
from caremesh.kernel.events.envelope import Envelope


@pytest.fixture
async def with_clinical(database_url: str) -> AsyncIterator[MonitoringApp]:
    runtime = build_runtime(topology_for(database_url, modules=("monitoring", "clinical")))
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://monitoring.test") as client:
            yield MonitoringApp(client, runtime)
    finally:
        await runtime.stop()


async def _observations(app: MonitoringApp) -> list[dict[str, object]]:
    await app.runtime.drain_outboxes()
    db = app.runtime.contexts["clinical"].db
    async with db.read() as conn:
        rows = await conn.fetch(
            "SELECT body FROM fhir_resource WHERE res_type = 'Observation' ORDER BY res_id"
        )
    import orjson

    return [orjson.loads(r[0]) for r in rows]


async def test_readings_become_vital_sign_observations(with_clinical: MonitoringApp) -> None:
    device_id, token = await with_clinical.device()
    glucose = {"id": "g", "kind": "glucose", "measured_at": minutes_ago(5).isoformat(),
               "values": {"glucose": {"value": 6.0, "unit": "mmol/L"}}}  # fmt: skip
    _, meter_token = await with_clinical.device("glucose-meter", serial="GM-1")
    await with_clinical.post(token, {"readings": [bp(minutes_ago(10), 141, 92, 77)]})
    await with_clinical.post(meter_token, {"readings": [glucose]})

    found = {o["code"]["coding"][0]["code"]: o for o in await _observations(with_clinical)}  # type: ignore[index]

    assert set(found) == {"85354-9", "8867-4", "2339-0"}
    panel = found["85354-9"]
    assert panel["subject"] == {"reference": "Patient/pat-m-0001"}
    assert panel["device"]["reference"] == f"Device/{device_id}"  # type: ignore[index]
    assert [c["valueQuantity"]["value"] for c in panel["component"]] == [141, 92]  # type: ignore[index,union-attr]
    assert panel["identifier"][0]["system"] == "https://caremesh.dev/fhir/sid/rpm-reading"  # type: ignore[index]
    assert found["2339-0"]["valueQuantity"] == {  # 6.0 mmol/L in mg/dL
        "value": 108.096,
        "unit": "mg/dL",
        "system": "http://unitsofmeasure.org",
        "code": "mg/dL",
    }


async def test_a_redelivered_event_creates_nothing_twice(with_clinical: MonitoringApp) -> None:
    _, token = await with_clinical.device()
    await with_clinical.post(token, {"readings": [bp(minutes_ago(10))]})
    before = await _observations(with_clinical)
    monitoring_db = with_clinical.runtime.contexts["monitoring"].db
    async with monitoring_db.read() as conn:
        body = await conn.fetchval("SELECT body FROM outbox")
    envelope = Envelope.from_bytes(body.encode())
    fresh = dataclasses.replace(envelope, id=envelope.id + "-again")  # as if the event were re-emitted

    await with_clinical.runtime.transport.publish([fresh])

    after = await _observations(with_clinical)
    assert [o["meta"] for o in after] == [o["meta"] for o in before]  # same ids, still version 1
    assert len(after) == 2
    async with with_clinical.runtime.contexts["clinical"].db.read() as conn:
        devices = await conn.fetchval("SELECT COUNT(*) FROM fhir_resource WHERE res_type = 'Device'")
    assert devices == 1  # the cuff, once, so Observation.device resolves
