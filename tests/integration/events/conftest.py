"""Events over real NATS JetStream and PostgreSQL: a stream per test, two module databases.

Each test gets its own stream and subject prefix (deleted afterwards), so tests never see each
other's events nor the ``CAREMESH_EVENTS`` stream a running system may use on the same server.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import nats
import pytest
from nats_event_support import EFFECTS_TABLE, Databases, TransportFactory

from caremesh.kernel.db import open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.kernel.events.nats import NatsSettings, NatsTransport


@pytest.fixture
async def databases(postgres_url: str) -> AsyncIterator[Databases]:
    """Two modules' databases (a schema each), migrated; the sink has an ``effects`` table."""
    source, sink = open_database(postgres_url, "source"), open_database(postgres_url, "sink")
    for db in (source, sink):
        await db.connect()
        await migrate(db, "kernel", "caremesh.kernel.migrations")
    async with sink.transaction() as conn:
        await conn.execute(EFFECTS_TABLE)
    try:
        yield Databases(source=source, sink=sink)
    finally:
        await source.close()
        await sink.close()


@pytest.fixture
async def nats_settings(nats_url: str) -> AsyncIterator[NatsSettings]:
    tag = secrets.token_hex(5)
    settings = NatsSettings(
        stream=f"CAREMESH_TEST_{tag.upper()}",
        subject_prefix=f"caremesh-test.{tag}",
        ack_wait=5.0,
        fetch_timeout=0.3,
        publish_timeout=3.0,
    )
    try:
        yield settings
    finally:
        client = await nats.connect(nats_url)
        try:
            await client.jetstream().delete_stream(settings.stream)
        except nats.js.errors.NotFoundError:
            pass
        finally:
            await client.close()


@pytest.fixture
async def transports(nats_url: str, nats_settings: NatsSettings) -> AsyncIterator[TransportFactory]:
    """Start NATS transports (each its own connection, like separate processes); stop them after."""
    started: list[NatsTransport] = []

    async def start(service: str = "test", **overrides: Any) -> NatsTransport:
        transport = NatsTransport(nats_url, service=service, settings=replace(nats_settings, **overrides))
        await transport.start()
        started.append(transport)
        return transport

    try:
        yield start
    finally:
        for transport in started:
            await transport.stop()
