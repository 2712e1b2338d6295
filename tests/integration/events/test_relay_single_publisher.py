"""Two replicas of a process on PostgreSQL: only one relay publishes a module's outbox at a time."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import pytest
from nats_event_support import Counted, Databases

from caremesh.kernel.db import open_database
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.events.relay import OutboxRelay

pytestmark = pytest.mark.postgres


class SlowRecordingTransport:
    """Records what is published and whether two publishes ever overlapped."""

    def __init__(self) -> None:
        self.published: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0.02)  # wide enough for the other replica to read the same rows
        self.published.update(e.id for e in envelopes)
        self.in_flight -= 1

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def subscribe(self, subscription: object) -> None: ...

    async def ping(self) -> None: ...


async def test_two_relays_of_one_module_never_publish_the_same_rows(
    databases: Databases, postgres_url: str
) -> None:
    replica = open_database(postgres_url, "source")  # a second process's pool on the same schema
    await replica.connect()
    try:
        outbox = Outbox("source")
        for start in range(0, 400, 20):
            async with databases.source.transaction() as conn:
                await outbox.add(conn, *(Counted(n=n) for n in range(start, start + 20)))
        transport = SlowRecordingTransport()
        relays = [OutboxRelay(db, transport, batch_size=25) for db in (databases.source, replica)]
        tasks = [asyncio.create_task(relay.run()) for relay in relays]
        try:
            async with asyncio.timeout(30):
                while sum(transport.published.values()) < 400:
                    await asyncio.sleep(0.05)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await replica.close()
    assert transport.max_in_flight == 1
    assert len(transport.published) == 400 and set(transport.published.values()) == {1}
