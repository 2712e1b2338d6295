"""kill -9 of the MQTT ingestion process mid-stream: the broker redelivers what was never acknowledged.

The PUBACK of a message is sent only after its batch committed, on a persistent session; so
messages the killed process had received but not stored are still the broker's, and come back
when the process restarts. The device does not resend anything here: nothing may be missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiomqtt
import asyncpg
import httpx
import orjson
import pytest
from monitoring_harness import bp, staff_headers
from monitoring_mqtt_broker import MOSQUITTO, Broker
from tests.e2e.platform_processes import free_port, start_process, stop, wait_ready


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


async def _device(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, headers=staff_headers(), timeout=10) as client:
        created = (
            await client.post("/v1/monitoring/devices", json={"serial": "KILL-1", "type": "bp-cuff"})
        ).json()
        since = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        await client.post(f"/v1/monitoring/devices/{created['id']}/assignments",
                          json={"patient_id": "pat-kill-1", "start_at": since})  # fmt: skip
        return str((await client.post(f"/v1/monitoring/devices/{created['id']}/credentials")).json()["token"])


async def test_ingestion_killed_mid_stream_loses_nothing(
    tmp_path: Path, postgres_url: str, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAREMESH_DATABASE_URL", raising=False)
    monkeypatch.delenv("CAREMESH_BUS_URL", raising=False)
    port = free_port()
    topology = tmp_path / "rpm-mqtt.toml"
    topology.write_text(
        f'name = "rpm-mqtt"\n[infrastructure]\ndatabase = "{postgres_url}"\nbus = "inprocess"\n'
        f'[processes.monitoring]\nport = {port}\nmodules = ["monitoring"]\n'
        f'[modules.monitoring]\nmqtt_url = "mqtt://127.0.0.1:{broker.port}"\nmqtt_client_id = "kill-test"\n'
    )
    base = f"http://127.0.0.1:{port}"
    process = start_process(topology, "monitoring", tmp_path)
    try:
        wait_ready(base, process)
        token = await _device(base)
        start = datetime.now(UTC) - timedelta(hours=15)
        acks: dict[int, dict[str, object]] = {}
        async with aiomqtt.Client(
            "127.0.0.1", broker.port, identifier="kill-dev", clean_session=False
        ) as device:
            await device.subscribe("caremesh/devices/KILL-1/acks", qos=1)
            for n in range(40):
                readings = [bp(start + timedelta(minutes=20 * n + i), ref=f"{n}-{i}") for i in range(20)]
                body = orjson.dumps({"token": token, "readings": readings})
                await device.publish("caremesh/devices/KILL-1/readings", body, qos=1)
            async with asyncio.timeout(60):
                async for message in device.messages:
                    ack = orjson.loads(message.payload)  # type: ignore[arg-type]
                    acks[int(ack["results"][0]["id"].split("-")[0])] = ack
                    if len(acks) == 4 and process.poll() is None:
                        process.kill()  # SIGKILL with messages received and not yet stored
                        process.wait()
                        process = start_process(topology, "monitoring", tmp_path)
                    if len(acks) == 40:
                        break
    finally:
        stop([process])
    conn = await asyncpg.connect(postgres_url)
    try:
        stored = await conn.fetchval("SELECT COUNT(DISTINCT reading_id) FROM monitoring.reading_values")
    finally:
        await conn.close()
    assert stored == 40 * 20
    assert all(ack["summary"]["rejected"] == 0 for ack in acks.values())  # type: ignore[index]
