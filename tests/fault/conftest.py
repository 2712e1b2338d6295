"""Fault-test fixtures: probe topologies on SQLite (one process) and PostgreSQL + NATS (two).

These tests kill processes and restart the machine's NATS server (and start it again); they run
in ``make test`` and alone with ``pytest -m fault tests/fault``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest

from caremesh.kernel.db import open_database

from .harness import Fleet, Probe, write_topology

BURST = {"count": 10_000, "batch": 50, "pause": 0.005}


async def _probe(fleet: Fleet, database_url: str) -> AsyncIterator[Probe]:
    producer = open_database(database_url, "probe_producer", pool_size=2)
    consumer = open_database(database_url, "probe_consumer", pool_size=2)
    try:
        await producer.connect()
        await consumer.connect()
        yield Probe(fleet, producer, consumer)
    finally:
        fleet.stop_all()
        await producer.close()
        await consumer.close()


@pytest.fixture
async def all_in_one(tmp_path: Path) -> AsyncIterator[Probe]:
    """One process with both probe modules, SQLite files, the in-process bus."""
    database = f"sqlite:///{tmp_path / 'var'}"
    topology = write_topology(
        tmp_path / "all-in-one.toml",
        database=database,
        bus="inprocess",
        processes={"app": ["probe_producer", "probe_consumer"]},
        burst=BURST,
    )
    async for probe in _probe(Fleet(topology, tmp_path), database):
        yield probe


@pytest.fixture
async def split(tmp_path: Path, postgres_url: str, nats_url: str) -> AsyncIterator[Probe]:
    """``source`` (producer + relay) and ``sink`` (consumer) processes on PostgreSQL and NATS."""
    tag = secrets.token_hex(5)
    stream = f"CAREMESH_FAULT_{tag.upper()}"
    env = {
        "CAREMESH_NATS_STREAM": stream,
        "CAREMESH_NATS_SUBJECT_PREFIX": f"caremesh-fault.{tag}",
        "CAREMESH_NATS_ACK_WAIT": "3",  # how long a killed consumer's unacked batch waits for redelivery
    }
    topology = write_topology(
        tmp_path / "split.toml",
        database=postgres_url,
        bus=nats_url,
        processes={"source": ["probe_producer"], "sink": ["probe_consumer"]},
        burst=BURST,
    )
    try:
        async for probe in _probe(Fleet(topology, tmp_path, env=env), postgres_url):
            yield probe
    finally:
        client = await nats.connect(nats_url, max_reconnect_attempts=20)
        try:
            await client.jetstream().delete_stream(stream)
        except nats.js.errors.NotFoundError:
            pass
        finally:
            await client.close()
