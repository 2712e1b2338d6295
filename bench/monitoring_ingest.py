"""Remote monitoring: sustained HTTPS batch ingestion on PostgreSQL, and the 30-day range query.

**ingest**: ``caremesh serve`` runs the monitoring process (uvicorn) on a fresh PostgreSQL
database; ``--devices`` blood-pressure cuffs, each on its own keep-alive connection
(``raw_http.RawClient``), post batches of ``--batch`` readings (caremesh JSON v1) until
``--readings`` are sent. Every batch runs the whole pipeline: device-token check, JSON schema,
unit normalisation and validation, jump detection against the previous values, one multi-row
insert into the partitioned table, dead letters, the in-transaction observers (alerting, once
wired) and the outbox event for the EHR sync, committed before the answer. Figures: readings/s
over the run and per-batch latency. TLS is left to the reverse proxy, so the loop is plain HTTP.

**reading → alert**: during the device load, one critical blood pressure every ``--probe-interval``
s from a fresh patient (``--probes`` of them); the alert's ``raised_at`` and its AlertRaised
``published_at`` (relay) are compared with the send time.

**mqtt** (``--mqtt URL``): ``--mqtt-devices`` devices publish QoS 1 messages of ``--mqtt-batch``
readings, at most ``--mqtt-window`` awaiting caremesh's ack (Mosquitto drops QoS 1 messages beyond
its per-subscriber queue limit, so an unbounded burst measures the broker's losses).

**range**: a year of readings for ``--patients`` patients (six values a day: a cuff twice daily)
is written by one ``INSERT ... SELECT generate_series`` into the same partitioned table, analysed,
then ``--queries`` 30-day range queries for random patients are timed at the SQL layer (the
store's own query) and through ``GET /v1/monitoring/patients/{id}/readings``.

    .venv/bin/python bench/monitoring_ingest.py [OUTPUT.json] [--readings 100000] [--batch 500]
        [--devices 8] [--patients 1000] [--queries 500]

Full run (the issue's targets): ``--readings 200000 --patients 1000 --mqtt mqtt://127.0.0.1:1883``;
a quick one: ``--readings 10000 --patients 50 --queries 100 --gateway-devices 0``.
The database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from boundary import _stop, free_port, wait_until_ready  # the sibling benchmark's process helpers
from raw_http import RawClient

from caremesh.kernel.security.tokens import issue_token
from caremesh.modules.monitoring.adapters.partitions import month_start, next_month, partition_name

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

_TOKEN_SERIALS: dict[str, str] = {}
JSON_TYPE = "application/json"
POSTGRES = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def _batch(start: datetime, device: int, index: int, size: int) -> bytes:
    # Unique moments per device: one reading every 2 s of simulated time.
    base = start + timedelta(seconds=2 * index * size)
    readings = [
        {
            "kind": "blood-pressure",
            "measured_at": (base + timedelta(seconds=2 * i)).isoformat(),
            "values": {
                "systolic": {"value": 118 + (i + device) % 30},
                "diastolic": {"value": 76 + i % 12},
                "heart_rate": {"value": 60 + i % 25, "unit": "/min"},
            },
        }
        for i in range(size)
    ]
    return orjson.dumps({"readings": readings})


async def _register(port: int, devices: int, staff: dict[str, str], patients: str = "bench-pat") -> list[str]:
    client, tokens = RawClient("127.0.0.1", port, staff), []
    since = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    try:
        for d in range(devices):
            body = orjson.dumps({"serial": f"BENCH-{d}-{secrets.token_hex(3)}", "type": "bp-cuff"})
            device_id = (await client.post("/v1/monitoring/devices", content=body)).json()["id"]  # type: ignore[index]
            assign = orjson.dumps({"patient_id": f"{patients}-{d}", "start_at": since})
            await client.post(f"/v1/monitoring/devices/{device_id}/assignments", content=assign)
            issued = await client.post(f"/v1/monitoring/devices/{device_id}/credentials", content=b"{}")
            tokens.append(issued.json()["token"])  # type: ignore[index]
            _TOKEN_SERIALS[tokens[-1]] = orjson.loads(body)["serial"]
    finally:
        await client.aclose()
    return tokens


def _critical(moment: datetime) -> bytes:
    """One blood pressure of a hypertensive crisis (systolic >= 180): a critical alert."""
    values = {"systolic": {"value": 186}, "diastolic": {"value": 96}, "heart_rate": {"value": 88}}
    reading = {"kind": "blood-pressure", "measured_at": moment.isoformat(), "values": values}
    return orjson.dumps({"readings": [reading]})


async def _probe_once(port: int, token: str) -> float:
    client = RawClient("127.0.0.1", port, {"authorization": f"Device {token}", "content-type": JSON_TYPE})
    try:
        began = time.time()
        response = await client.post("/v1/monitoring/readings", content=_critical(datetime.now(UTC)))
        assert response.status_code == 200, response.text[:300]
        return began
    finally:
        await client.aclose()


async def _probe(port: int, tokens: list[str], interval: float, done: asyncio.Event) -> list[float]:
    """While the load runs: a critical reading every ``interval`` s (not waiting for the previous
    answer), each from a fresh patient so each raises a new alert. Returns the send times."""
    probes: list[asyncio.Task[float]] = []
    for token in tokens:
        if done.is_set():
            break
        probes.append(asyncio.create_task(_probe_once(port, token)))
        await asyncio.sleep(interval)
    return list(await asyncio.gather(*probes))


async def alert_latency(dsn: str, sent: list[float]) -> dict[str, Any]:
    """Reading sent → alert committed (raised_at, the transaction storing the reading) and → its
    AlertRaised event published by the relay (published_at), from the database's own timestamps."""
    await asyncio.sleep(2)  # the relay publishes shortly after commit
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT a.patient_id, extract(epoch FROM a.raised_at) AS raised, "
            "extract(epoch FROM o.published_at) AS published FROM monitoring.alerts a "
            "LEFT JOIN monitoring.outbox o "
            "ON o.aggregate_id = a.id AND o.event_type = 'monitoring.AlertRaised' "
            "WHERE a.patient_id LIKE 'bench-probe-%' AND a.rule_id = 'bp-high'"
        )
    finally:
        await conn.close()
    by_patient = {row["patient_id"]: row for row in rows}
    raised, published = [], []
    for index, at in enumerate(sent):
        row = by_patient.get(f"bench-probe-{index}")
        assert row is not None, f"probe {index}: no alert raised"
        raised.append(float(row["raised"]) - at)
        assert row["published"] is not None, f"probe {index}: AlertRaised not published"
        published.append(float(row["published"]) - at)
    return {
        "probes": len(sent),
        "raised_p50_ms": _pct(raised, 0.5),
        "raised_p99_ms": _pct(raised, 0.99),
        "published_p50_ms": _pct(published, 0.5),
        "published_p99_ms": _pct(published, 0.99),
        "published_max_ms": _pct(published, 1.0),
    }


async def ingest(port: int, args: argparse.Namespace, staff: dict[str, str], dsn: str) -> dict[str, Any]:
    tokens = await _register(port, args.devices, staff)
    probes = await _register(port, args.probes, staff, patients="bench-probe")
    per_device = max(1, args.readings // args.batch // args.devices)
    start = datetime.now(UTC) - timedelta(seconds=2 * args.batch * per_device + 600)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    # Bodies are built before the clock starts: the client shares the 2 cores with the server.
    bodies = [[_batch(start, d, i, args.batch) for i in range(per_device)] for d in range(len(tokens))]

    async def device_loop(d: int, token: str) -> None:
        client = RawClient(
            "127.0.0.1", port, {"authorization": f"Device {token}", "content-type": "application/json"}
        )
        try:
            for body in bodies[d]:
                began = time.perf_counter()
                response = await client.post("/v1/monitoring/readings", content=body)
                latencies.append(time.perf_counter() - began)
                assert response.status_code == 200, response.text[:300]
                for key, count in response.json()["summary"].items():  # type: ignore[index]
                    outcomes[key] = outcomes.get(key, 0) + count
        finally:
            await client.aclose()

    done = asyncio.Event()
    probing = asyncio.create_task(_probe(port, probes, args.probe_interval, done))
    began = time.perf_counter()
    await asyncio.gather(*(device_loop(d, t) for d, t in enumerate(tokens)))
    elapsed = time.perf_counter() - began
    done.set()
    probe_sent = await probing
    sent = per_device * args.devices * args.batch
    return {
        "readings": sent,
        "batch": args.batch,
        "devices": args.devices,
        "seconds": round(elapsed, 2),
        "readings_per_s": round(sent / elapsed),
        "batch_p50_ms": _pct(latencies, 0.5),
        "batch_p99_ms": _pct(latencies, 0.99),
        "outcomes": outcomes,
        "reading_to_alert": await alert_latency(dsn, probe_sent) if probe_sent else None,
    }


def _gateway_batch(start: datetime, serials: list[str], first: int, size: int) -> bytes:
    """``size`` readings round-robin over ``serials``: reading n is device n % D at minute n // D."""
    count = len(serials)
    readings = [
        {
            "device": serials[n % count],
            "kind": "blood-pressure",
            "measured_at": (start + timedelta(minutes=n // count)).isoformat(),
            "values": {
                "systolic": {"value": 118 + n % 30},
                "diastolic": {"value": 76 + n % 12},
                "heart_rate": {"value": 60 + n % 25, "unit": "/min"},
            },
        }
        for n in range(first, first + size)
    ]
    return orjson.dumps({"readings": readings})


async def ingest_gateway(port: int, args: argparse.Namespace, staff: dict[str, str]) -> dict[str, Any]:
    """Gateways post batches that span ``--gateway-devices`` devices (and as many patients)."""
    await _register(port, args.gateway_devices, staff)
    serials = list(_TOKEN_SERIALS.values())[-args.gateway_devices :]
    batches = max(1, args.readings // args.batch)
    minutes = batches * args.batch // len(serials) + 10
    start = datetime.now(UTC) - timedelta(minutes=minutes)
    gateway = issue_token(
        subject="gw", client_id="bench-gateway", kind="client", scopes=["monitoring.ingest"]
    )
    headers = {"authorization": f"Bearer {gateway}", "content-type": "application/json"}
    work, latencies = iter(range(batches)), []
    outcomes: dict[str, int] = {}

    bodies = [_gateway_batch(start, serials, k * args.batch, args.batch) for k in range(batches)]

    async def client_loop() -> None:
        client = RawClient("127.0.0.1", port, headers)
        try:
            for k in work:
                body = bodies[k]
                began = time.perf_counter()
                response = await client.post("/v1/monitoring/readings", content=body)
                latencies.append(time.perf_counter() - began)
                assert response.status_code == 200, response.text[:300]
                for key, count in response.json()["summary"].items():  # type: ignore[index]
                    outcomes[key] = outcomes.get(key, 0) + count
        finally:
            await client.aclose()

    began = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(args.devices)))
    elapsed = time.perf_counter() - began
    sent = batches * args.batch
    return {
        "readings": sent,
        "batch": args.batch,
        "gateways": args.devices,
        "devices": len(serials),
        "seconds": round(elapsed, 2),
        "readings_per_s": round(sent / elapsed),
        "batch_p50_ms": _pct(latencies, 0.5),
        "batch_p99_ms": _pct(latencies, 0.99),
        "outcomes": outcomes,
    }


YEAR_SQL = """
INSERT INTO monitoring.reading_values
  (device_id, kind, metric, measured_at, reading_id, patient_id, value, received_at, flags, client_ref)
SELECT 'year-dev-' || p, 'blood-pressure', m.metric, t, md5(p || m.metric || t::text), 'year-pat-' || p,
       m.base + (p % 20) + random() * 10, t, '', NULL
FROM generate_series(1, $1) AS p,
     generate_series($2::timestamptz, $3::timestamptz, interval '12 hours') AS t,
     (VALUES ('systolic', 115.0), ('diastolic', 72.0), ('heart_rate', 60.0)) AS m(metric, base)
"""


async def range_queries(
    dsn: str, port: int, args: argparse.Namespace, staff: dict[str, str]
) -> dict[str, Any]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)
    start = end - timedelta(days=365)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET search_path = monitoring")
        month = month_start(start)
        while month <= end:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF reading_values "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"
            )
            month = next_month(month)
        began = time.perf_counter()
        await conn.execute(YEAR_SQL, args.patients, start, end)
        await conn.execute("ANALYZE monitoring.reading_values")
        generated = time.perf_counter() - began
        rows = await conn.fetchval(
            "SELECT COUNT(*) FROM monitoring.reading_values WHERE patient_id LIKE 'year-%'"
        )
        sql_times: list[float] = []
        for _ in range(args.queries):
            patient, until = (
                f"year-pat-{random.randint(1, args.patients)}",
                end - timedelta(days=random.randint(0, 330)),
            )
            t0 = time.perf_counter()
            found = await conn.fetch(
                "SELECT metric, value, measured_at, reading_id, device_id, flags FROM reading_values "
                "WHERE patient_id = $1 AND measured_at >= $2 AND measured_at < $3 "
                "ORDER BY measured_at, metric LIMIT 10000",
                patient,
                until - timedelta(days=30),
                until,
            )
            sql_times.append(time.perf_counter() - t0)
            assert len(found) >= 170, len(found)  # 30 days x 2 readings x 3 metrics
    finally:
        await conn.close()
    client, http_times = RawClient("127.0.0.1", port, staff), []
    window = f"from={_q(end - timedelta(days=30))}&to={_q(end)}&limit=10000"
    try:
        for _ in range(args.queries):
            patient = f"year-pat-{random.randint(1, args.patients)}"
            t0 = time.perf_counter()
            response = await client.get(f"/v1/monitoring/patients/{patient}/readings?{window}")
            http_times.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text[:300]
    finally:
        await client.aclose()
    return {
        "patients": args.patients,
        "rows": rows,
        "generate_s": round(generated, 1),
        "queries": args.queries,
        "sql_p50_ms": _pct(sql_times, 0.5),
        "sql_p99_ms": _pct(sql_times, 0.99),
        "http_p50_ms": _pct(http_times, 0.5),
        "http_p99_ms": _pct(http_times, 0.99),
    }


def _q(moment: datetime) -> str:
    return moment.isoformat().replace("+", "%2B")


def _topology(path: Path, dsn: str, port: int, mqtt: str | None) -> Path:
    modules = (
        f'[modules.monitoring]\nmqtt_url = "{mqtt}"\nmqtt_client_id = "{path.parent.name}"\n' if mqtt else ""
    )
    path.write_text(
        f'name = "bench-monitoring"\n[infrastructure]\ndatabase = "{dsn}"\nbus = "inprocess"\n'
        f'[processes.monitoring]\nport = {port}\nmodules = ["monitoring"]\n{modules}'
    )
    return path


async def ingest_mqtt(
    port: int, args: argparse.Namespace, staff: dict[str, str], dsn: str
) -> dict[str, Any]:
    """``--mqtt-devices`` devices publish QoS 1 messages of ``--mqtt-batch`` readings to Mosquitto; a
    message counts when caremesh's ack (sent after commit) arrives. Payloads are built beforehand."""
    import aiomqtt

    tokens = await _register(port, args.mqtt_devices, staff, patients="bench-mqtt")
    per_device = max(1, args.mqtt_readings // args.mqtt_batch // len(tokens))
    start = datetime.now(UTC) - timedelta(seconds=2 * args.mqtt_batch * per_device + 600)
    serials = _TOKEN_SERIALS  # tokens are shown once: the bench remembers which device has which
    messages = [
        (f"caremesh/devices/{serials[token]}/readings",
         orjson.dumps({"token": token, **orjson.loads(_batch(start, 1000 + d, i, args.mqtt_batch))}))
        for i in range(per_device)
        for d, token in enumerate(tokens)
    ]  # fmt: skip
    outcomes: dict[str, int] = {}
    # At most --mqtt-window messages await caremesh's ack: Mosquitto queues a bounded number of
    # messages per subscriber (max_queued_messages, 1000 by default) and drops QoS 1 messages beyond
    # it, so an unbounded burst would lose readings in the broker before caremesh ever sees them.
    window = asyncio.Semaphore(args.mqtt_window)
    async with aiomqtt.Client("127.0.0.1", 1883, max_queued_outgoing_messages=0) as client:
        client.pending_calls_threshold = 1_000_000  # many publishes in flight on purpose
        await client.subscribe("caremesh/devices/+/acks", qos=1)
        await asyncio.sleep(1)
        sent = time.perf_counter()

        async def publish(share: list[tuple[str, bytes]]) -> None:
            for topic, payload in share:  # aiomqtt's publish waits for the broker's PUBACK
                await window.acquire()
                await client.publish(topic, payload, qos=1)

        async def collect() -> None:
            acked = 0
            async for message in client.messages:
                window.release()
                for key, count in orjson.loads(message.payload).get("summary", {}).items():
                    outcomes[key] = outcomes.get(key, 0) + count
                acked += 1
                if acked == len(messages):
                    return

        shares = [messages[k :: args.mqtt_publishers] for k in range(args.mqtt_publishers)]
        async with asyncio.timeout(300):
            await asyncio.gather(collect(), *(publish(share) for share in shares))
    elapsed = time.perf_counter() - sent
    readings = len(messages) * args.mqtt_batch
    return {
        "readings": readings,
        "messages": len(messages),
        "readings_per_message": args.mqtt_batch,
        "devices": len(tokens),
        "seconds": round(elapsed, 2),
        "readings_per_s": round(readings / elapsed),
        "outcomes": outcomes,
    }


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    name = f"caremesh_bench_rpm_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    port = free_port()
    env = {
        **os.environ,
        "CAREMESH_SECRET": os.environ.get("CAREMESH_SECRET", secrets.token_hex(24)),
        "CAREMESH_VAR_DIR": str(workdir),
        "CAREMESH_LOG_LEVEL": "WARNING",
    }
    os.environ["CAREMESH_SECRET"] = env["CAREMESH_SECRET"]
    staff_token = issue_token(subject="bench", client_id="bench", kind="client", scopes=["monitoring"])
    staff = {"authorization": f"Bearer {staff_token}", "content-type": "application/json"}
    command = [
        sys.executable,
        "-m",
        "caremesh.cli.main",
        "serve",
        "--topology",
        str(_topology(workdir / "bench.toml", dsn, port, args.mqtt)),
        "--process",
        "monitoring",
    ]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=(workdir / "server.log").open("wb")
    )
    try:
        await wait_until_ready(f"http://127.0.0.1:{port}", server)
        results = {"ingest": await ingest(port, args, staff, dsn)}
        if args.gateway_devices:
            results["ingest_gateway"] = await ingest_gateway(port, args, staff)
        if args.mqtt:
            results["mqtt"] = await ingest_mqtt(port, args, staff, dsn)
        results["range"] = await range_queries(dsn, port, args, staff)
        return results
    finally:
        _stop(server)
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path)
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--gateway-devices", type=int, default=200, help="0 skips the gateway run")
    parser.add_argument("--mqtt", help="also ingest over this broker (mqtt://127.0.0.1:1883)")
    parser.add_argument("--mqtt-readings", type=int, default=50_000)
    parser.add_argument("--mqtt-batch", type=int, default=10, help="readings per MQTT message")
    parser.add_argument("--mqtt-devices", type=int, default=100)
    parser.add_argument("--mqtt-publishers", type=int, default=32, help="concurrent publishing tasks")
    parser.add_argument("--mqtt-window", type=int, default=400, help="messages awaiting an ack at most")
    parser.add_argument("--probes", type=int, default=200, help="critical readings sent during the load")
    parser.add_argument("--probe-interval", type=float, default=0.1, help="seconds between probes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        results = asyncio.run(run(args, Path(workdir)))
    report = {
        "benchmark": "monitoring_ingest",
        "at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        **results,
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
