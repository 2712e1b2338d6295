"""Monthly partitions of ``reading_values`` on PostgreSQL, and retention on both dialects.

Partitions are created ahead of time by the maintenance worker and on demand before a batch that
reaches a month without one (a replayed old reading, a clock far off). DDL runs in its own short
transaction, never inside an ingestion transaction, so batches do not queue behind it.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from caremesh.kernel.db.base import Database

_NAME = re.compile(r"^reading_values_p(\d{4})(\d{2})$")


def month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"reading_values_p{start.year:04d}{start.month:02d}"


class Partitions:
    """Knows which months have a partition; creates missing ones (PostgreSQL only)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._known: set[datetime] = set()
        self._lock = asyncio.Lock()

    async def ensure(self, moments: set[datetime]) -> None:
        if self._db.dialect != "postgres":
            return
        missing = {month_start(m) for m in moments} - self._known
        if not missing:
            return
        async with self._lock:
            for start in sorted(missing - self._known):
                await self._create(start)
                self._known.add(start)

    async def ensure_ahead(self, now: datetime, months: int = 2) -> None:
        start = month_start(now)
        wanted = {start}
        for _ in range(months):
            start = next_month(start)
            wanted.add(start)
        await self.ensure(wanted)

    async def _create(self, start: datetime) -> None:
        end = next_month(start)
        async with self._db.transaction() as conn:
            # IF NOT EXISTS alone is not safe against a concurrent creator (another process).
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))", "monitoring.reading_values.partitions"
            )
            if await conn.fetchval("SELECT to_regclass($1)", partition_name(start)) is not None:
                return
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(start)} PARTITION OF reading_values "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )

    async def drop_before(self, cutoff: datetime) -> int:
        """Retention: drop (PostgreSQL) or delete (SQLite) data measured before ``cutoff``.

        On PostgreSQL whole months go once they end before the cutoff (a cheap metadata change);
        so up to a month more than the retention period is kept.
        """
        if self._db.dialect != "postgres":
            async with self._db.transaction() as conn:
                return await conn.execute("DELETE FROM reading_values WHERE measured_at < $1", cutoff)
        async with self._db.read() as conn:
            rows = await conn.fetch(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'reading_values'::regclass"
            )
        dropped = 0
        for (name,) in rows:
            match = _NAME.match(name)
            if match is None:
                continue
            start = datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
            if next_month(start) <= cutoff:
                async with self._db.transaction() as conn:
                    await conn.execute(f"DROP TABLE IF EXISTS {name}")
                self._known.discard(start)
                dropped += 1
        return dropped
