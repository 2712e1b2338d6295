"""Medication order signing across processes: sign request sent → pharmacy order queued, on
PostgreSQL + NATS JetStream with ``core`` (clinical + cds), ``pharmacy`` and ``billing`` as OS
processes (`caremesh serve`), real HTTP. A fresh database and stream, removed afterwards.

The clock: the client's wall clock when it sends the sign request, and the pharmacy process's
``queued_at`` (taken as its consumer handles the event, just before commit); one machine, one clock.

    .venv/bin/python bench/orders_sign_split.py [OUTPUT.json] [--orders 200] [--concurrency 8]

Target (issue 5): p99 <= 250 ms in the multi-process topology.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats

from caremesh.kernel.ids import new_id
from caremesh.kernel.security.tokens import issue_token

REPO = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("CAREMESH_BENCH_NATS", "nats://127.0.0.1:4222")
PROCESSES = {"core": ["clinical", "cds"], "pharmacy": ["pharmacy"], "billing": ["billing"]}
DRAFT = {"medication": {"code": "6809"}, "dose": {"value": "500", "unit": "mg"}, "frequency": "BID",
         "route": "oral", "duration_days": 30}  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(topology: Path, name: str, logs: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "caremesh.cli.main",
        "serve",
        "--topology",
        str(topology),
        "--process",
        name,
    ]
    log = (logs / f"{name}.log").open("wb")
    return subprocess.Popen(command, cwd=REPO, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT)


async def _ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}")
            try:
                if (await client.get(f"{url}/ready", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(url)


def _summary(samples: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000  # noqa: E731
    return {"orders": len(samples), "p50_ms": round(pick(0.50), 2), "p95_ms": round(pick(0.95), 2),
            "p99_ms": round(pick(0.99), 2), "orders_per_s": round(len(samples) / elapsed, 1)}  # fmt: skip


async def _prepare(client: httpx.AsyncClient, core: str, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        draft = await client.post(
            f"{core}/v1/medication-orders", json={"patient_id": f"pat-{new_id()}", **DRAFT}
        )
        order_id = draft.json()["id"]
        await client.post(f"{core}/v1/medication-orders/{order_id}/check")
        ids.append(order_id)
    return ids


async def _sign_all(
    client: httpx.AsyncClient, core: str, ids: list[str], concurrency: int
) -> dict[str, float]:
    sent: dict[str, float] = {}
    pending = list(ids)

    async def worker() -> None:
        while pending:
            order_id = pending.pop()
            sent[order_id] = time.time()
            response = await client.post(
                f"{core}/v1/medication-orders/{order_id}/sign", json={}, headers={"Idempotency-Key": new_id()}
            )
            assert response.status_code == 200, response.text

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sent


async def _latencies(db: asyncpg.Connection, sent: dict[str, float]) -> list[float]:
    for _ in range(600):
        rows = await db.fetch(
            "SELECT order_id, queued_at FROM pharmacy.pharmacy_orders WHERE order_id = ANY($1)", list(sent)
        )
        if len(rows) == len(sent):
            return [row["queued_at"].timestamp() - sent[row["order_id"]] for row in rows]
        await asyncio.sleep(0.1)
    raise TimeoutError("orders never reached the pharmacy")


async def run(orders: int, concurrency: int, workdir: Path) -> dict[str, Any]:
    name, tag = f"caremesh_bench_{secrets.token_hex(4)}", secrets.token_hex(4)
    os.environ.update(
        CAREMESH_NATS_STREAM=f"BENCH_ORDERS_{tag.upper()}",
        CAREMESH_NATS_SUBJECT_PREFIX=f"benchorders{tag}.events",
    )
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    database = POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    ports = {process: _free_port() for process in PROCESSES}
    lines = [
        'name = "bench-orders-split"',
        "[infrastructure]",
        f'database = "{database}"',
        f'bus = "{NATS_URL}"',
    ]
    for process, modules in PROCESSES.items():
        lines += [f"[processes.{process}]", f"port = {ports[process]}", "modules = " + json.dumps(modules)]
    topology = workdir / "bench-orders-split.toml"
    topology.write_text("\n".join(lines) + "\n")
    running = {process: _start(topology, process, workdir) for process in PROCESSES}
    results: dict[str, Any] = {}
    try:
        for process, popen in running.items():
            await _ready(f"http://127.0.0.1:{ports[process]}", popen)
        core = f"http://127.0.0.1:{ports['core']}"
        db = await asyncpg.connect(database)
        async with httpx.AsyncClient(headers=_headers(), timeout=30) as client:
            await _latencies(db, await _sign_all(client, core, await _prepare(client, core, 5), 1))  # warm up
            for label, clients in (("sequential", 1), ("concurrent", concurrency)):
                ids = await _prepare(client, core, orders)
                started = time.perf_counter()
                sent = await _sign_all(client, core, ids, clients)
                samples = await _latencies(db, sent)
                results[label] = {**_summary(samples, time.perf_counter() - started), "clients": clients}
        await db.close()
    finally:
        for popen in running.values():
            popen.send_signal(signal.SIGTERM)
        for popen in running.values():
            popen.wait(timeout=30)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        bus = await nats.connect(NATS_URL)
        with contextlib.suppress(Exception):  # the stream may not exist if a process never started
            await bus.jetstream().delete_stream(os.environ["CAREMESH_NATS_STREAM"])
        await bus.close()
    return results


def _headers() -> dict[str, str]:
    token = issue_token(
        subject="bench-prescriber",
        client_id="bench",
        kind="user",
        scopes=["user/*.cruds"],
        extra_claims={"roles": ["clinician"]},
        ttl=timedelta(hours=2),
    )
    return {"authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("CAREMESH_SECRET", "bench-secret-not-for-production-0123456789")
    os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")  # one credential, far past a client's limit
    for variable in ("CAREMESH_DATABASE_URL", "CAREMESH_BUS_URL"):
        os.environ.pop(variable, None)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("CAREMESH_VAR_DIR", tmp)
        results = asyncio.run(run(args.orders, args.concurrency, Path(tmp)))
    report = {
        "bench": "orders_sign_split",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        **results,
    }
    print(json.dumps(report, indent=2))
    if args.output:
        args.output.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
