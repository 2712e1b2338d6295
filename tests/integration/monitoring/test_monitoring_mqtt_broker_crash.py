"""kill -9 of the MQTT broker mid-stream: no reading acknowledged by caremesh is lost.

A private Mosquitto (own port, own persistence dir) is killed while a device streams QoS 1
batches; the device resends every batch it got no caremesh acknowledgement for once the broker
is back. Every reading acknowledged as stored before the crash must be in the database, and in
the end every reading is stored exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiomqtt
import httpx
import orjson
import pytest
from monitoring_harness import MonitoringApp, bp, minutes_ago, topology_for
from monitoring_mqtt_broker import MOSQUITTO, Broker

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    running = Broker(tmp_path)
    running.start()
    try:
        yield running
    finally:
        running.kill()


@pytest.fixture
async def app(database_url: str, broker: Broker) -> AsyncIterator[MonitoringApp]:
    topology = topology_for(
        database_url, mqtt_url=f"mqtt://127.0.0.1:{broker.port}", mqtt_client_id="crash-test"
    )
    runtime = build_runtime(topology)
    asgi = build_app(runtime, start_runtime=False)
    await runtime.start(workers=True)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://m.test"
        ) as client:
            yield MonitoringApp(client, runtime)
    finally:
        await runtime.stop()


async def _stream(
    port: int, serial: str, batches: dict[int, bytes], acks: dict[int, dict], kill: object
) -> None:
    """Publish every batch without an ack yet and collect acks until all are in or the broker dies."""
    async with aiomqtt.Client("127.0.0.1", port, identifier=f"dev-{serial}", clean_session=False) as device:
        await device.subscribe(f"caremesh/devices/{serial}/acks", qos=1)
        await asyncio.sleep(0.3)
        for number, body in batches.items():
            if number not in acks:
                await device.publish(f"caremesh/devices/{serial}/readings", body, qos=1)
        async for message in device.messages:
            ack = orjson.loads(message.payload)  # type: ignore[arg-type]
            acks[int(ack["results"][0]["id"].split("-")[0])] = ack
            if len(acks) == 5 and callable(kill):
                kill()
            if len(acks) == len(batches):
                return


async def test_broker_killed_mid_stream_loses_no_acknowledged_reading(
    app: MonitoringApp, broker: Broker
) -> None:
    serial = "CRASH-1"
    _, token = await app.device(serial=serial)
    batches = {
        n: orjson.dumps({"token": token, "readings": [bp(minutes_ago(300 - n - i / 60), ref=f"{n}-{i}")
                                                      for i in range(20)]})
        for n in range(30)
    }  # fmt: skip
    acks: dict[int, dict] = {}
    with contextlib.suppress(aiomqtt.MqttError):
        await asyncio.wait_for(_stream(broker.port, serial, batches, acks, broker.kill), 30)
    before_crash = {r["reading_id"] for a in acks.values() for r in a["results"] if r["outcome"] == "stored"}
    assert before_crash, "some batches were acknowledged before the crash"

    broker.start()
    await asyncio.sleep(2.5)  # the worker reconnects every 2 s
    for _ in range(6):  # the device resends what has no acknowledgement until everything has one
        with contextlib.suppress(aiomqtt.MqttError, TimeoutError):
            await asyncio.wait_for(_stream(broker.port, serial, batches, acks, None), 5)
        if len(acks) == len(batches):
            break

    assert len(acks) == len(batches)
    async with app.db.read() as conn:
        stored = {r[0] for r in await conn.fetch("SELECT DISTINCT reading_id FROM reading_values")}
    assert before_crash <= stored
    assert len(stored) == 30 * 20
