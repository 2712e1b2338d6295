"""Helpers shared by the NATS event tests: a synthetic event, its effect, and waiting for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest

from caremesh.contracts.base import Event
from caremesh.kernel.db import Database
from caremesh.kernel.events.consumer import HandlerContext
from caremesh.kernel.events.nats import NatsTransport

EFFECTS_TABLE = (
    "CREATE TABLE effects (id BIGSERIAL PRIMARY KEY, n INTEGER NOT NULL, "
    "aggregate TEXT NOT NULL, event_id TEXT NOT NULL)"
)

TransportFactory = Callable[..., Awaitable[NatsTransport]]


@dataclass
class Databases:
    """Two modules' databases: ``source`` publishes through its outbox, ``sink`` consumes."""

    source: Database
    sink: Database


class Counted(Event):
    """A synthetic event: the n-th event of an aggregate stream."""

    event_type: ClassVar[str] = "source.Counted"
    n: int
    stream: str = "a"

    def aggregate_id(self) -> str:
        return self.stream


async def record_effect(event: Counted, hctx: HandlerContext) -> None:
    """The consumer's effect: one appended row per handled event (no unique key hides duplicates)."""
    await hctx.conn.execute(
        "INSERT INTO effects (n, aggregate, event_id) VALUES ($1, $2, $3)",
        event.n,
        event.stream,
        hctx.envelope.id,
    )


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 20.0) -> None:
    """Wait until ``check`` holds; fail with a clear message when it never does."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not reached within {timeout} s")
        await asyncio.sleep(0.05)


async def effect_rows(sink: Database) -> list[tuple[int, str, str]]:
    async with sink.read() as conn:
        rows = await conn.fetch("SELECT n, aggregate, event_id FROM effects ORDER BY id")
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


async def count_of(db: Database, sql: str) -> int:
    async with db.read() as conn:
        return int(await conn.fetchval(sql))


async def dead_letters(db: Database) -> list[tuple[str, str]]:
    """(event type, reason) of each dead-lettered event, in the order they failed."""
    async with db.read() as conn:
        rows = await conn.fetch("SELECT event_type, reason FROM dead_letters ORDER BY failed_at")
    return [(str(r[0]), str(r[1])) for r in rows]
