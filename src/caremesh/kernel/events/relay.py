"""The outbox relay: publishes a module's committed events in commit order, then marks them published."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator

import structlog

from caremesh.kernel.clock import utcnow
from caremesh.kernel.db.base import Database
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.events.transport import Transport
from caremesh.kernel.observability import metrics

log = structlog.get_logger(__name__)


def _advisory_lock_key(module: str) -> int:
    """A stable 64-bit key per module (modules share one PostgreSQL database, a schema each)."""
    digest = hashlib.blake2b(f"caremesh.outbox-relay.{module}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.5,
        max_backoff: float = 5.0,
    ) -> None:
        self.db = db
        self.transport = transport
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_backoff = max_backoff
        self._wake = asyncio.Event()
        self.healthy = True
        self._lock_key = _advisory_lock_key(db.module)

    def wake(self) -> None:
        self._wake.set()

    async def _pending(self) -> list[tuple[int, Envelope]]:
        async with self.db.read() as conn:
            rows = await conn.fetch(
                "SELECT seq, body FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
                self.batch_size,
            )
        return [(int(row[0]), Envelope.from_bytes(row[1])) for row in rows]

    async def _mark_published(self, seqs: list[int]) -> None:
        now = utcnow()
        async with self.db.transaction() as conn:
            if self.db.dialect == "postgres":
                await conn.execute(
                    "UPDATE outbox SET published_at = $1 WHERE seq = ANY($2::bigint[])", now, seqs
                )
            else:
                await conn.execute(
                    "UPDATE outbox SET published_at = $1 WHERE seq IN (SELECT value FROM json_each($2))",
                    now,
                    "[" + ",".join(map(str, seqs)) + "]",
                )

    async def drain_once(self) -> int:
        """Publish one batch; return how many events it held."""
        async with self._exclusive():
            batch = await self._pending()
            if not batch:
                return 0
            await self.transport.publish([envelope for _, envelope in batch])
            await self._mark_published([seq for seq, _ in batch])
        metrics.EVENTS_PUBLISHED.labels(self.db.module).inc(len(batch))
        return len(batch)

    @contextlib.asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[None]:
        """On PostgreSQL, replicas of a process share the outbox: one relay publishes a batch at a time.

        Without this, two replicas would read and publish the same rows (deduplicated downstream,
        but doubling the traffic). The session lock goes away with the session if a replica dies.
        SQLite has one process per file, so nothing to do there.
        """
        if self.db.dialect != "postgres":
            yield
            return
        async with self.db.read() as conn:
            conn.holds_session_state()  # should the unlock below never run, the pool releases the lock
            await conn.fetchval("SELECT pg_advisory_lock($1)", self._lock_key)
            try:
                yield
            finally:
                await conn.fetchval("SELECT pg_advisory_unlock($1)", self._lock_key)

    async def drain(self) -> int:
        total = 0
        while (count := await self.drain_once()) > 0:
            total += count
        return total

    async def run(self) -> None:
        backoff = 0.1
        while True:
            # Cleared before reading, so a commit that lands during the drain still wakes us.
            self._wake.clear()
            try:
                published = await self.drain_once()
                self.healthy = True
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.healthy = False
                log.warning("outbox relay failed; retrying", module=self.db.module, error=type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            if published < self.batch_size:
                await self._wait_for_work()

    async def _wait_for_work(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that
        # arrives as the wake-up fires, and the relay then never stops (Runtime.stop hangs).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.poll_interval):
                await self._wake.wait()
