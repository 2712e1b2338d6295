"""Housekeeping of the kernel's tables in each module database.

Retention: expired idempotency keys go at once (they are kept >= 24 h by construction); published
outbox rows after 7 days; inbox marks after 30 days, well beyond the broker's 7-day stream
retention, so no redelivery can outlive the mark that makes it harmless.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import structlog

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Database

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Retention:
    outbox: timedelta = timedelta(days=7)
    inbox: timedelta = timedelta(days=30)


async def purge(db: Database, *, retention: Retention = Retention(), clock: Clock = utcnow) -> dict[str, int]:
    now = clock()
    async with db.transaction() as conn:
        return {
            "idempotency_keys": await conn.execute(
                "DELETE FROM idempotency_keys WHERE expires_at <= $1", now
            ),
            "outbox": await conn.execute(
                "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1",
                now - retention.outbox,
            ),
            "inbox": await conn.execute("DELETE FROM inbox WHERE processed_at < $1", now - retention.inbox),
        }


async def run_periodically(db: Database, *, every: timedelta = timedelta(minutes=10)) -> None:
    while True:
        try:
            removed = await purge(db)
            log.info("kernel tables purged", module=db.module, count=sum(removed.values()))
        except Exception as exc:
            log.warning("kernel purge failed", module=db.module, error=type(exc).__name__)
        await asyncio.sleep(every.total_seconds())
