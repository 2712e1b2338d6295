"""Medication order signing: sign request sent → pharmacy order committed, in the all-in-one topology.

One process with clinical (order entry), cds, pharmacy and billing; SQLite files and the in-process
bus (or ``--database postgresql://...``). Each order is drafted and checked first (not timed), then
signed through the HTTP API (httpx → ASGI, Idempotency-Key) while the relay runs in the
background; the clock stops when the pharmacy's queue insert commits (a commit hook). Two loads:
``sequential`` (latency, no queueing) and ``concurrent`` (orders/s with ``--concurrency`` clients).

    .venv/bin/python bench/orders_sign.py [OUTPUT.json] [--orders 300] [--concurrency 8] [--postgres]
    .venv/bin/python bench/orders_sign.py --fault-trials 10000   # the fault suites at full size

Targets (issue 5): sign → pharmacy queued p99 <= 100 ms all-in-one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime
from caremesh.kernel.db.base import Connection
from caremesh.kernel.ids import new_id
from caremesh.kernel.observability.logging import configure_logging
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse
from caremesh.modules.pharmacy.adapters import pharmacy_sql

REPO = Path(__file__).resolve().parents[1]
POSTGRES_ADMIN = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
DRAFT = {"medication": {"code": "6809"}, "dose": {"value": "500", "unit": "mg"}, "frequency": "BID",
         "route": "oral", "duration_days": 30}  # fmt: skip
queued_at: dict[str, float] = {}
waiting: dict[str, asyncio.Event] = {}
_insert_once = pharmacy_sql.insert_once


async def _timed_insert_once(conn: Connection, order: Any) -> bool:
    inserted = await _insert_once(conn, order)
    if inserted:
        conn.on_commit(lambda: _queued(order.order_id))
    return inserted


def _queued(order_id: str) -> None:
    queued_at.setdefault(order_id, time.perf_counter())
    waiting.setdefault(order_id, asyncio.Event()).set()


def _headers() -> dict[str, str]:
    token = issue_token(subject="bench-prescriber", client_id="bench", kind="user", scopes=["user/*.cruds"],
                        extra_claims={"roles": ["clinician"]})  # fmt: skip
    return {"authorization": f"Bearer {token}"}


async def _prepare(client: httpx.AsyncClient, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        draft = await client.post("/v1/medication-orders", json={"patient_id": f"pat-{new_id()}", **DRAFT})
        order_id = draft.json()["id"]
        await client.post(f"/v1/medication-orders/{order_id}/check")
        ids.append(order_id)
    return ids


async def _sign(client: httpx.AsyncClient, order_id: str) -> float:
    started = time.perf_counter()
    response = await client.post(
        f"/v1/medication-orders/{order_id}/sign", json={}, headers={"Idempotency-Key": new_id()}
    )
    assert response.status_code == 200, response.text
    await waiting.setdefault(order_id, asyncio.Event()).wait()
    return queued_at[order_id] - started


def _summary(samples: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000  # noqa: E731
    return {"orders": len(samples), "p50_ms": round(pick(0.50), 2), "p95_ms": round(pick(0.95), 2),
            "p99_ms": round(pick(0.99), 2), "mean_ms": round(statistics.fmean(samples) * 1000, 2),
            "orders_per_s": round(len(samples) / elapsed, 1)}  # fmt: skip


async def run(database: str, orders: int, concurrency: int) -> dict[str, Any]:
    pharmacy_sql.insert_once = _timed_insert_once  # type: ignore[assignment]
    modules = ["clinical", "cds", "pharmacy", "billing"]
    infrastructure = {"database": database, "bus": "inprocess"}
    topology = parse(
        {"name": "bench-orders", "infrastructure": infrastructure, "processes": {"app": {"modules": modules}}}
    )
    runtime = build_runtime(topology)
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    results: dict[str, Any] = {}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=_headers()
        ) as client:
            await _sign(client, (await _prepare(client, 1))[0])  # warm up
            ids = await _prepare(client, orders)
            started = time.perf_counter()
            samples = [await _sign(client, order_id) for order_id in ids]
            results["sequential"] = _summary(samples, time.perf_counter() - started)
            ids = await _prepare(client, orders)
            queue: asyncio.Queue[str] = asyncio.Queue()
            for order_id in ids:
                queue.put_nowait(order_id)
            samples = []

            async def worker() -> None:
                while not queue.empty():
                    samples.append(await _sign(client, queue.get_nowait()))

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            results["concurrent"] = {
                **_summary(samples, time.perf_counter() - started),
                "clients": concurrency,
            }
    finally:
        await runtime.stop()
    return results


async def _on_database(postgres: bool, tmp: str, orders: int, concurrency: int) -> dict[str, Any]:
    """SQLite files in ``tmp``, or a throw-away PostgreSQL database (dropped afterwards)."""
    if not postgres:
        return await run(f"sqlite:///{tmp}/var", orders, concurrency)
    name = f"caremesh_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return await run(POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}", orders, concurrency)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--postgres", action="store_true", help="a fresh PostgreSQL database instead of SQLite"
    )
    parser.add_argument(
        "--fault-trials", type=int, help="run tests/fault/test_orders_*.py with this many trials"
    )
    args = parser.parse_args()
    if args.fault_trials:
        env = {**os.environ, "CAREMESH_ORDERS_TRIALS": str(args.fault_trials)}
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *map(str, sorted((REPO / "tests" / "fault").glob("test_orders_*.py"))),
        ]
        raise SystemExit(subprocess.call(command, cwd=REPO, env=env))
    os.environ.setdefault("CAREMESH_SECRET", "bench-secret-not-for-production-0123456789")
    os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")  # one credential, far past a client's limit
    # Production logging (JSON, INFO, one line per request) into /dev/null: its cost, not its noise.
    configure_logging(service="bench-orders", version="bench", stream=open(os.devnull, "w"))  # noqa: SIM115
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("CAREMESH_VAR_DIR", tmp)
        results = asyncio.run(_on_database(args.postgres, tmp, args.orders, args.concurrency))
    report = {"bench": "orders_sign", "database": "postgres" if args.postgres else "sqlite",
              "python": platform.python_version(), "cpus": os.cpu_count(), **results}  # fmt: skip
    print(json.dumps(report, indent=2))
    if args.output:
        args.output.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
