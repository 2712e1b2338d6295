"""Split topology on PostgreSQL + NATS + Redis with real OS processes.

Ingestion keeps working while clinical is stopped; the EHR sync catches up once clinical starts,
without duplicates; a kill -9 of the ingestion process mid-stream loses no acknowledged reading.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from monitoring_harness import bp, staff_headers
from tests.conftest import require_service
from tests.e2e.platform_processes import (
    free_port,
    isolate_split_topology,
    start_process,
    stop,
    wait_ready,
    write_split_topology,
)
from tests.e2e.test_booking_notifies import delete_stream

REDIS_URL = "redis://127.0.0.1:6379/0"


def _readings(start: datetime, count: int, offset: int) -> list[dict[str, Any]]:
    return [bp(start + timedelta(seconds=30 * (offset + i)), 120 + i % 20, 80, ref=f"k{offset + i}")
            for i in range(count)]  # fmt: skip


async def _device(base: str, serial: str, patient: str) -> str:
    async with httpx.AsyncClient(base_url=base, headers=staff_headers(), timeout=10) as client:
        created = (
            await client.post("/v1/monitoring/devices", json={"serial": serial, "type": "bp-cuff"})
        ).json()
        since = (datetime.now(UTC) - timedelta(days=2)).isoformat()
        await client.post(f"/v1/monitoring/devices/{created['id']}/assignments",
                          json={"patient_id": patient, "start_at": since})  # fmt: skip
        issued = await client.post(f"/v1/monitoring/devices/{created['id']}/credentials")
        return str(issued.json()["token"])


async def _send_until_killed(base: str, token: str, start: datetime, kill: Any) -> tuple[set[str], int]:
    """Four senders post batches; after 8 acknowledgements the process gets SIGKILL with requests
    in flight. Returns the acknowledged reading ids and how many batches were attempted."""
    acknowledged: set[str] = set()
    batches = iter(range(10_000))
    attempted = 0

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal attempted
        for batch in batches:
            attempted = max(attempted, batch + 1)
            body = {"readings": _readings(start, 50, batch * 50)}
            try:
                response = await client.post("/v1/monitoring/readings", json=body)
            except httpx.HTTPError:
                return
            acknowledged.update(
                r["reading_id"] for r in response.json()["results"] if r["outcome"] == "stored"
            )
            if len(acknowledged) >= 8 * 50:
                kill()

    headers = {"authorization": f"Device {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=5) as client:
        await asyncio.gather(*(sender(client) for _ in range(4)))
    return acknowledged, attempted


async def _count(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def test_ingestion_survives_clinical_down_and_kill_9(
    tmp_path: Path, postgres_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_service("Redis", 6379)
    stream = isolate_split_topology(monkeypatch, "rpm")
    ports = {"monitoring": free_port(), "clinical": free_port()}
    extra = f'[modules.monitoring]\nlatest_cache = "{REDIS_URL}"\n'
    topology = write_split_topology(tmp_path / "rpm-split.toml", database=postgres_url, bus=nats_url,
                                    ports=ports, extra=extra)  # fmt: skip
    base = f"http://127.0.0.1:{ports['monitoring']}"
    patient = f"pat-mp-{secrets.token_hex(4)}"
    processes = [start_process(topology, "monitoring", tmp_path)]
    try:
        wait_ready(base, processes[0])
        token = await _device(base, f"MP-{secrets.token_hex(4)}", patient)
        start = datetime.now(UTC) - timedelta(hours=20)
        acknowledged, sent = await _send_until_killed(base, token, start, processes[0].kill)
        assert len(acknowledged) >= 8 * 50  # the batches before the kill were all acknowledged

        processes[0] = start_process(topology, "monitoring", tmp_path)  # restart; resend everything
        wait_ready(base, processes[0])
        async with httpx.AsyncClient(base_url=base, headers={"authorization": f"Device {token}"}) as client:
            resent = await client.post(
                "/v1/monitoring/readings", json={"readings": _readings(start, sent * 50, 0)}
            )
            latest = await client.get(f"/v1/monitoring/patients/{patient}/latest", headers=staff_headers())
        outcomes = {r["reading_id"]: r["outcome"] for r in resent.json()["results"]}
        assert all(outcomes[rid] == "duplicate" for rid in acknowledged)  # nothing acknowledged was lost
        stored = await _count(
            postgres_url, "SELECT COUNT(DISTINCT reading_id) FROM monitoring.reading_values"
        )
        assert stored == sent * 50
        assert {i["metric"] for i in latest.json()["items"]} == {"systolic", "diastolic", "heart_rate"}

        processes.append(start_process(topology, "clinical", tmp_path))  # the EHR side comes back
        wait_ready(f"http://127.0.0.1:{ports['clinical']}", processes[1])
        expected = stored * 2  # a panel and a heart rate per reading
        sql = "SELECT COUNT(*) FROM clinical.fhir_resource WHERE res_type = 'Observation'"
        async with asyncio.timeout(60):
            while await _count(postgres_url, sql) < expected:
                await asyncio.sleep(0.5)
        await asyncio.sleep(1)  # anything extra would show up now
        assert await _count(postgres_url, sql) == expected
    finally:
        stop(processes)
        await delete_stream(nats_url, stream)
        await _drop_cache(patient)


async def _drop_cache(patient: str) -> None:
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)
    try:
        await redis.delete(f"caremesh:monitoring:latest:{patient}")
    finally:
        await redis.aclose()
