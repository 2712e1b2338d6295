"""The producing side: a worker writes ``count`` rows, each with its event, in small transactions.

It resumes after a crash from the last committed row, so a restarted process finishes the burst
without writing any row twice; the outbox rows commit with the state change, as in real modules.
"""

from __future__ import annotations

import asyncio

from caremesh.kernel.clock import utcnow
from caremesh.kernel.module import ModuleContext, ModuleDefinition

from .events import ProbeProduced


async def produce(ctx: ModuleContext, *, count: int, batch: int, pause: float) -> None:
    async with ctx.db.read() as conn:
        start = int(await conn.fetchval("SELECT COALESCE(MAX(n), -1) FROM probe_items")) + 1
    for first in range(start, count, batch):
        numbers = range(first, min(first + batch, count))
        async with ctx.db.transaction() as conn:
            now = utcnow()
            await conn.executemany(
                "INSERT INTO probe_items (n, created_at) VALUES ($1, $2)", [(n, now) for n in numbers]
            )
            await ctx.outbox.add(conn, *(ProbeProduced(n=n) for n in numbers))
        await asyncio.sleep(pause)


def register(ctx: ModuleContext) -> None:
    count = int(ctx.config.get("count", 10_000))
    batch = int(ctx.config.get("batch", 50))
    pause = float(ctx.config.get("pause", 0.005))

    async def burst() -> None:
        await produce(ctx, count=count, batch=batch, pause=pause)

    ctx.add_worker("burst", burst)


MODULE = ModuleDefinition(
    name="probe_producer", migrations="tests.fault.probe.producer_migrations", register=register
)
