"""The maintenance worker: partitions ahead of time and retention, on an interval."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from caremesh.kernel.clock import Clock, utcnow
from caremesh.modules.monitoring.adapters.partitions import Partitions

log = structlog.get_logger(__name__)


async def maintain_once(partitions: Partitions, retention: timedelta, clock: Clock = utcnow) -> int:
    """Create the next months' partitions and drop data older than ``retention``; return what was dropped."""
    now = clock()
    await partitions.ensure_ahead(now)
    return await partitions.drop_before(now - retention)


def maintenance_worker(
    partitions: Partitions, retention: timedelta, interval: float
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        while True:
            try:
                dropped = await maintain_once(partitions, retention)
                log.info("monitoring maintenance done", task="monitoring-maintenance", count=dropped)
            except Exception as exc:  # keep trying: a missed run only delays housekeeping
                log.warning(
                    "monitoring maintenance failed", task="monitoring-maintenance", error=type(exc).__name__
                )
            await asyncio.sleep(interval)

    return run
