"""MQTT ingestion through the real Mosquitto: stored after commit, outcome published, duplicates safe."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import aiomqtt
import httpx
import orjson
import pytest
from monitoring_harness import MonitoringApp, bp, minutes_ago, topology_for
from tests.conftest import require_service

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime

MQTT_URL = "mqtt://127.0.0.1:1883"


@pytest.fixture
async def mqtt_app(database_url: str) -> AsyncIterator[tuple[MonitoringApp, str]]:
    require_service("Mosquitto", 1883)
    client_id = f"caremesh-test-{secrets.token_hex(4)}"
    topology = topology_for(database_url, mqtt_url=MQTT_URL, mqtt_client_id=client_id)
    runtime = build_runtime(topology)
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=True)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://monitoring.test") as client:
            yield MonitoringApp(client, runtime), client_id
    finally:
        await runtime.stop()
        # Drop the persistent session the worker left on the broker.
        async with aiomqtt.Client("127.0.0.1", 1883, identifier=client_id, clean_session=True):
            pass


async def _publish_and_wait(serial: str, documents: list[dict[str, object]]) -> list[dict[str, object]]:
    acks: list[dict[str, object]] = []
    async with aiomqtt.Client("127.0.0.1", 1883) as device:
        await device.subscribe(f"caremesh/devices/{serial}/acks", qos=1)
        await asyncio.sleep(0.5)  # the worker subscribes when the runtime starts
        for document in documents:
            await device.publish(f"caremesh/devices/{serial}/readings", orjson.dumps(document), qos=1)
        async with asyncio.timeout(10):
            async for message in device.messages:
                acks.append(orjson.loads(message.payload))  # type: ignore[arg-type]
                if len(acks) == len(documents):
                    break
    return acks


async def test_mqtt_batches_are_stored_and_acknowledged(mqtt_app: tuple[MonitoringApp, str]) -> None:
    app, _ = mqtt_app
    serial = f"MQ-{secrets.token_hex(4)}"
    _, token = await app.device(serial=serial)
    batch = {"token": token, "readings": [bp(minutes_ago(3), ref="m1"), bp(minutes_ago(2), ref="m2")]}

    acks = await _publish_and_wait(serial, [batch, batch, {"readings": [bp(minutes_ago(1))]}])

    assert [a["status"] for a in acks] == [200, 200, 401]
    assert acks[0]["summary"] == {"stored": 2, "duplicate": 0, "rejected": 0}
    assert acks[1]["summary"] == {"stored": 0, "duplicate": 2, "rejected": 0}
    assert await app.scalar("SELECT COUNT(*) FROM reading_values") == 6


async def test_simulated_day_over_https_and_mqtt_reconciles(mqtt_app: tuple[MonitoringApp, str]) -> None:
    from datetime import UTC, datetime, timedelta

    from caremesh.cli.devices import simulate
    from caremesh.modules.monitoring.application.simulation import build_plan

    app, _ = mqtt_app
    now = datetime.now(UTC)
    plan = build_plan(6, 24, now=now, run_id=secrets.token_hex(3), faults=True, seed=5, fault_share=0.2)

    totals = await simulate(
        app.client, plan, since=now - timedelta(hours=25), batch_size=10, mqtt_url=MQTT_URL
    )

    expected = plan.expected()
    assert {k: totals[k] for k in expected} == expected
    assert await app.scalar("SELECT COUNT(DISTINCT reading_id) FROM reading_values") == expected["stored"]
    assert await app.scalar("SELECT COUNT(*) FROM rejected_readings") == expected["rejected"]
