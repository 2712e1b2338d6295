"""Events end to end: outbox insert committed → consumer effect committed.

Two pipelines, each a producing module database with its outbox and relay, and a consuming module
database with an inbox consumer whose effect is one row per event:

* ``all-in-one``: SQLite files, the in-process bus (one process, as ``make run``);
* ``postgres+nats``: PostgreSQL (a fresh database, a schema per module) and NATS JetStream (a fresh
  stream), producer and consumer on separate NATS connections, as two processes would be.

Two loads for each: ``burst`` (N events in transactions of 100, as fast as possible: throughput)
and ``paced`` (single-event transactions at a fixed rate: latency without queueing). Timestamps
are taken by commit hooks in one process, so both ends read the same clock.

    .venv/bin/python bench/events.py [OUTPUT.json] [--events 20000] [--paced 1000] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
import nats

from caremesh.contracts.base import Event
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.kernel.events.consumer import HandlerContext, Subscription
from caremesh.kernel.events.nats import NatsSettings, NatsTransport
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.events.relay import OutboxRelay
from caremesh.kernel.events.transport import InProcessTransport, Transport

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

POSTGRES_ADMIN = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("CAREMESH_BENCH_NATS", "nats://127.0.0.1:4222")
BURST_TRANSACTION = 100
TIME_LIMIT = 180.0


class Measured(Event):
    event_type: ClassVar[str] = "bench.Measured"
    n: int

    def aggregate_id(self) -> str:
        return f"agg-{self.n % 16}"


@dataclass
class Clock:
    """Commit times of each event at both ends (``time.perf_counter`` seconds)."""

    committed: dict[int, float] = field(default_factory=dict)
    applied: dict[int, float] = field(default_factory=dict)


@dataclass
class Pipeline:
    source: Database
    outbox: Outbox
    clock: Clock


async def record_effect(clock: Clock, event: Measured, hctx: HandlerContext) -> None:
    await hctx.conn.execute("INSERT INTO effects (n) VALUES ($1)", event.n)

    def stamp() -> None:
        clock.applied.setdefault(event.n, time.perf_counter())

    hctx.conn.on_commit(stamp)


async def open_pair(url: str) -> tuple[Database, Database]:
    source, sink = open_database(url, "bench_source"), open_database(url, "bench_sink")
    for db in (source, sink):
        await db.connect()
        await migrate(db, "kernel", "caremesh.kernel.migrations")
    async with sink.transaction() as conn:
        await conn.execute("CREATE TABLE IF NOT EXISTS effects (n INTEGER NOT NULL)")
    return source, sink


@asynccontextmanager
async def running(url: str, publisher: Transport, consumer: Transport) -> AsyncIterator[Pipeline]:
    """Open both databases, subscribe the consumer, run the relay; close everything afterwards."""
    source, sink = await open_pair(url)
    clock = Clock()

    async def handler(event: Measured, hctx: HandlerContext) -> None:
        await record_effect(clock, event, hctx)

    await publisher.start()
    if consumer is not publisher:
        await consumer.start()
    consumer.subscribe(Subscription(consumer="bench_sink.effects", db=sink).on(Measured, handler))
    relay = OutboxRelay(source, publisher)
    relay_task = asyncio.create_task(relay.run())
    try:
        yield Pipeline(source, Outbox("bench_source", wake_relay=relay.wake), clock)
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await publisher.stop()
        if consumer is not publisher:
            await consumer.stop()
        await source.close()
        await sink.close()


@asynccontextmanager
async def all_in_one() -> AsyncIterator[Pipeline]:
    with tempfile.TemporaryDirectory(prefix="caremesh-bench-") as workdir:
        transport = InProcessTransport()
        async with running(f"sqlite:///{workdir}", transport, transport) as pipeline:
            yield pipeline


@asynccontextmanager
async def postgres_nats() -> AsyncIterator[Pipeline]:
    """A fresh PostgreSQL database and NATS stream, both removed afterwards."""
    name = f"caremesh_bench_{secrets.token_hex(5)}"
    settings = NatsSettings(
        stream=f"CAREMESH_BENCH_{name[-10:].upper()}", subject_prefix=f"caremesh-bench.{name}"
    )
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        publisher = NatsTransport(NATS_URL, service="bench-source", settings=settings)
        consumer = NatsTransport(NATS_URL, service="bench-sink", settings=settings)
        async with running(POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}", publisher, consumer) as pipeline:
            yield pipeline
    finally:
        client = await nats.connect(NATS_URL)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await client.jetstream().delete_stream(settings.stream)
        await client.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def produce_burst(pipeline: Pipeline, numbers: range) -> None:
    for first in range(numbers.start, numbers.stop, BURST_TRANSACTION):
        await produce(pipeline, range(first, min(first + BURST_TRANSACTION, numbers.stop)))


async def produce_paced(pipeline: Pipeline, numbers: range, rate: float) -> None:
    started = time.perf_counter()
    for index, n in enumerate(numbers):
        await asyncio.sleep(max(0.0, started + index / rate - time.perf_counter()))
        await produce(pipeline, range(n, n + 1))


async def produce(pipeline: Pipeline, numbers: range) -> None:
    clock = pipeline.clock
    async with pipeline.source.transaction() as conn:
        await pipeline.outbox.add(conn, *(Measured(n=n) for n in numbers))

        def stamp() -> None:
            now = time.perf_counter()
            clock.committed.update((n, now) for n in numbers)

        conn.on_commit(stamp)


async def until_applied(clock: Clock, numbers: range, deadline: float) -> None:
    while sum(1 for n in numbers if n in clock.applied) < len(numbers) and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)


def summary(topology: str, load: str, clock: Clock, numbers: range) -> dict[str, Any]:
    done = [n for n in numbers if n in clock.applied and n in clock.committed]
    latencies = sorted(clock.applied[n] - clock.committed[n] for n in done)
    span = max(clock.applied[n] for n in done) - min(clock.committed[n] for n in done) if done else 0.0
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    return {
        "topology": topology,
        "load": load,
        "events": len(numbers),
        "applied": len(done),
        "seconds": round(span, 3),
        "events_per_s": round(len(done) / span, 1) if span else 0.0,
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


async def run_pipeline(topology: str, pipeline: Pipeline, args: argparse.Namespace) -> list[dict[str, Any]]:
    deadline = time.perf_counter() + TIME_LIMIT
    burst = range(0, args.events)
    await produce_burst(pipeline, burst)
    await until_applied(pipeline.clock, burst, deadline)
    paced = range(args.events, args.events + args.paced)
    await produce_paced(pipeline, paced, args.rate)
    await until_applied(pipeline.clock, paced, deadline)
    return [
        summary(topology, "burst", pipeline.clock, burst),
        summary(topology, f"paced {args.rate:g}/s", pipeline.clock, paced),
    ]


COLUMNS = [
    ("topology", "topology", "<15"),
    ("load", "load", "<12"),
    ("events", "events", ">7"),
    ("applied", "applied", ">7"),
    ("seconds", "seconds", ">8"),
    ("events_per_s", "events/s", ">9"),
    ("p50_ms", "p50 ms", ">8"),
    ("p99_ms", "p99 ms", ">8"),
]


def print_table(rows: list[dict[str, Any]]) -> None:
    header = " ".join(f"{title:{align}}" for _, title, align in COLUMNS)
    print(header)
    print("-" * len(header))
    for row in rows:
        print(" ".join(f"{row[key]:{align}}" for key, _, align in COLUMNS))


async def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async with all_in_one() as pipeline:
        rows += await run_pipeline("all-in-one", pipeline, args)
    if not args.embedded_only:
        async with postgres_nats() as pipeline:
            rows += await run_pipeline("postgres+nats", pipeline, args)
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path, help="write the results as JSON here")
    parser.add_argument("--events", type=int, default=20_000, help="events in the burst")
    parser.add_argument("--paced", type=int, default=1_000, help="events in the paced run")
    parser.add_argument("--rate", type=float, default=200.0, help="events per second in the paced run")
    parser.add_argument("--embedded-only", action="store_true", help="skip PostgreSQL + NATS")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    results = asyncio.run(main(arguments))
    print_table(results)
    if arguments.output:
        machine = {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        }
        arguments.output.write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
