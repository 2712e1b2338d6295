"""Kernel round trip on both dialects: migrations, a transaction, the outbox and a consumer."""

from __future__ import annotations

from typing import ClassVar

from caremesh.contracts.base import Event
from caremesh.kernel.db import open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.kernel.events.consumer import HandlerContext, Subscription
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.events.relay import OutboxRelay
from caremesh.kernel.events.transport import InProcessTransport


class Pinged(Event):
    event_type: ClassVar[str] = "test.Pinged"
    n: int

    def aggregate_id(self) -> str:
        return "ping"


async def test_outbox_to_consumer_exactly_once(database_url: str) -> None:
    db = open_database(database_url, "smoke")
    await db.connect()
    try:
        await migrate(db, "kernel", "caremesh.kernel.migrations")
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE seen (n INTEGER PRIMARY KEY)")
        outbox = Outbox("smoke")
        async with db.transaction() as conn:
            await outbox.add(conn, *(Pinged(n=i) for i in range(5)))

        async def record(event: Pinged, hctx: HandlerContext) -> None:
            await hctx.conn.execute("INSERT INTO seen (n) VALUES ($1)", event.n)

        transport = InProcessTransport()
        transport.subscribe(Subscription(consumer="smoke.seen", db=db).on(Pinged, record))
        relay = OutboxRelay(db, transport)
        assert await relay.drain() == 5
        # Redelivering the same envelopes (as after a crash before marking) changes nothing.
        async with db.read() as conn:
            bodies = [r[0] for r in await conn.fetch("SELECT body FROM outbox ORDER BY seq")]
        from caremesh.kernel.events.envelope import Envelope

        await transport.publish([Envelope.from_bytes(b) for b in bodies])
        async with db.read() as conn:
            assert [r[0] for r in await conn.fetch("SELECT n FROM seen ORDER BY n")] == [0, 1, 2, 3, 4]
            assert await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    finally:
        await db.close()
