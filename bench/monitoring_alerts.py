"""Alert evaluation cost inside the readings transaction (monitoring's ``ReadingsObserver``).

Evaluates N synthetic readings in batches (default 10,000 in batches of 500) on a fresh PostgreSQL
database, after an unmeasured warm-up (readings over the previous 14 days) that fills baselines,
recent weights, latest values and RPM days the way a running system has them; the measured
readings are current (the last hour), as a sustained live stream brings them. Each batch is one
transaction: the observer's work plus the commit, which is what the observer adds to ingestion
latency. Readings mix kinds for 1,000 patients; about 3 %
breach a threshold, so dedup, the rate cap and inserts all run.

    .venv/bin/python bench/monitoring_alerts.py [OUTPUT.json] [--readings 10000] [--batch 500]
        [--patients 1000] [--warmup 10000] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from caremesh.kernel.clock import utcnow
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.application.alerting.evaluation import AlertingObserver
from caremesh.modules.monitoring.application.alerting.raising import AlertRaiser
from caremesh.modules.monitoring.application.alerting.rpm import RpmProgramme
from caremesh.modules.monitoring.domain.reading import Reading

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

POSTGRES_ADMIN = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@asynccontextmanager
async def database(use_sqlite: bool) -> AsyncIterator[Database]:
    if use_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            db = open_database(f"sqlite:///{tmp}", "monitoring")
            await db.connect()
            try:
                yield db
            finally:
                await db.close()
        return
    name = f"caremesh_bench_alerts_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    db = open_database(POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}", "monitoring")
    await db.connect()
    try:
        yield db
    finally:
        await db.close()
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def synthetic(rng: random.Random, patient: str, at: datetime) -> Reading:
    """A plausible reading; about 3 % breach a threshold."""
    kind = rng.choice(("glucose", "blood-pressure", "pulse-oximetry", "weight", "temperature"))
    odd = rng.random() < 0.03
    values: dict[str, float] = {
        "glucose": {"glucose": rng.choice((48.0, 65.0, 320.0)) if odd else rng.gauss(120, 15)},
        "blood-pressure": {
            "systolic": 185.0 if odd else rng.gauss(128, 8),
            "diastolic": rng.gauss(82, 5),
            "heart_rate": rng.gauss(72, 6),
        },
        "pulse-oximetry": {
            "spo2": 92.0 if odd else float(rng.choice((96, 97, 98, 99))),
            "heart_rate": rng.gauss(72, 6),
        },
        "weight": {"weight": rng.gauss(82, 0.3) + (2.0 if odd else 0.0)},
        "temperature": {"temperature": 39.4 if odd else rng.gauss(36.7, 0.2)},
    }[kind]
    return Reading(new_id(), patient, f"dev-{patient}-{kind}", kind, at, values, at)


def batches(
    rng: random.Random, count: int, size: int, patients: int, start: datetime, span: timedelta
) -> list[list[Reading]]:
    step = span / max(count, 1)
    readings = [synthetic(rng, f"pat-{rng.randrange(patients):05d}", start + i * step) for i in range(count)]
    return [readings[i : i + size] for i in range(0, count, size)]


async def evaluate(db: Database, observer: AlertingObserver, work: list[list[Reading]]) -> list[float]:
    seconds = []
    for batch in work:
        started = time.perf_counter()
        async with db.transaction() as conn:
            await observer.on_accepted(conn, batch)
        seconds.append(time.perf_counter() - started)
    return seconds


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(7)
    async with database(args.sqlite) as db:
        await migrate(db, "kernel", "caremesh.kernel.migrations")
        await migrate(db, "monitoring", "caremesh.modules.monitoring.adapters.migrations")
        outbox = Outbox("monitoring")
        observer = AlertingObserver(raiser=AlertRaiser(outbox), rpm=RpmProgramme(outbox), clock=utcnow)
        now = datetime.now(UTC)
        # Warm-up: the last 14 days (baselines, weights, RPM days); then the measured load: current
        # readings, as a sustained live stream brings them (the last hour).
        days = timedelta(days=14)
        await evaluate(db, observer, batches(rng, args.warmup, args.batch, args.patients, now - days, days))
        hour = timedelta(hours=1)
        work = batches(rng, args.readings, args.batch, args.patients, now - hour, hour)
        began = time.perf_counter()
        seconds = await evaluate(db, observer, work)
        elapsed = time.perf_counter() - began
        async with db.read() as conn:
            alerts = await conn.fetchval("SELECT COUNT(*) FROM alerts")
            events = await conn.fetchval("SELECT COUNT(*) FROM outbox")
    ordered = sorted(seconds)
    return {
        "benchmark": "monitoring_alerts",
        "database": "sqlite" if args.sqlite else "postgres",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "readings": args.readings,
        "batch": args.batch,
        "patients": args.patients,
        "warmup_readings": args.warmup,
        "readings_per_second": round(args.readings / elapsed),
        "batch_ms": {
            "p50": round(statistics.median(ordered) * 1000, 1),
            "p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "max": round(ordered[-1] * 1000, 1),
        },
        "alerts_total": int(alerts),
        "events_total": int(events),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path)
    parser.add_argument("--readings", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--warmup", type=int, default=10_000)
    parser.add_argument("--sqlite", action="store_true", help="the embedded SQLite instead of PostgreSQL")
    result = asyncio.run(run(parser.parse_args()))
    text = json.dumps(result, indent=2)
    print(text)
    output = parser.parse_args().output
    if output is not None:
        output.write_text(text + "\n")


if __name__ == "__main__":
    main()
