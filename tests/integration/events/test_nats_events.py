"""Outbox → NATS JetStream → inbox consumer, on real PostgreSQL: each effect exactly once, in order."""

from __future__ import annotations

import pytest
from nats_event_support import (
    Counted,
    Databases,
    TransportFactory,
    count_of,
    dead_letters,
    effect_rows,
    eventually,
    record_effect,
)

from caremesh.kernel.events.consumer import RetryPolicy, Subscription
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.events.relay import OutboxRelay

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

FAST_RETRIES = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)


def effects_subscription(dbs: Databases) -> Subscription:
    return Subscription(consumer="sink.effects", db=dbs.sink, retry=FAST_RETRIES).on(Counted, record_effect)


async def write_events(dbs: Databases, events: list[Counted], *, per_transaction: int = 25) -> None:
    outbox = Outbox("source")
    for start in range(0, len(events), per_transaction):
        async with dbs.source.transaction() as conn:
            await outbox.add(conn, *events[start : start + per_transaction])


async def outbox_bodies(dbs: Databases) -> list[Envelope]:
    async with dbs.source.read() as conn:
        rows = await conn.fetch("SELECT body FROM outbox ORDER BY seq")
    return [Envelope.from_bytes(row[0]) for row in rows]


async def test_outbox_to_consumer_effect_exactly_once(
    databases: Databases, transports: TransportFactory
) -> None:
    publisher, consumer = await transports("source"), await transports("sink")
    consumer.subscribe(effects_subscription(databases))
    await write_events(databases, [Counted(n=i, stream=f"s{i % 7}") for i in range(300)])

    assert await OutboxRelay(databases.source, publisher, batch_size=64).drain() == 300

    async def all_applied() -> bool:
        return await count_of(databases.sink, "SELECT count(*) FROM effects") >= 300

    await eventually(all_applied)
    rows = await effect_rows(databases.sink)
    assert sorted(n for n, _, _ in rows) == list(range(300))
    assert await count_of(databases.source, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert await count_of(databases.sink, "SELECT count(*) FROM inbox") == 300


async def test_republished_envelopes_give_one_effect(
    databases: Databases, transports: TransportFactory
) -> None:
    publisher, consumer = await transports("source"), await transports("sink")
    await write_events(databases, [Counted(n=i) for i in range(20)])
    envelopes = await outbox_bodies(databases)
    # A relay that crashed before marking its rows publishes the same batch again.
    await publisher.publish(envelopes)
    await publisher.publish(envelopes)
    stream = await publisher._jetstream().stream_info(publisher.settings.stream)
    assert stream.state.messages == 20, "the stream drops a copy with the same Nats-Msg-Id"
    # Beyond the duplicate window the broker stores a copy; the inbox must drop it.
    await publisher._jetstream().publish(publisher.subject_of(Counted.event_type), envelopes[3].to_bytes())

    consumer.subscribe(effects_subscription(databases))

    async def copy_seen() -> bool:
        return await count_of(databases.sink, "SELECT count(*) FROM inbox") == 20

    await eventually(copy_seen)
    stream = await publisher._jetstream().stream_info(publisher.settings.stream)
    info = await consumer._jetstream().consumer_info(publisher.settings.stream, "sink-effects")
    assert info.ack_floor.stream_seq == stream.state.last_seq == 21
    assert sorted(n for n, _, _ in await effect_rows(databases.sink)) == list(range(20))


async def test_order_per_aggregate_holds_through_retries(
    databases: Databases, transports: TransportFactory
) -> None:
    publisher, consumer = await transports("source", fetch_batch=40), await transports("sink", fetch_batch=40)
    failed_once: set[int] = set()

    async def flaky_effect(event: Counted, hctx: object) -> None:
        if event.n % 9 == 0 and event.n not in failed_once:
            failed_once.add(event.n)
            raise ConnectionError("transient failure")
        await record_effect(event, hctx)  # type: ignore[arg-type]

    consumer.subscribe(
        Subscription(consumer="sink.ordered", db=databases.sink, retry=FAST_RETRIES).on(Counted, flaky_effect)
    )
    # Three aggregates interleaved, and several events of one aggregate within a relay batch.
    await write_events(databases, [Counted(n=i, stream=f"s{i % 3}") for i in range(240)], per_transaction=7)
    await OutboxRelay(databases.source, publisher, batch_size=50).drain()

    async def all_applied() -> bool:
        assert await dead_letters(databases.sink) == []
        return await count_of(databases.sink, "SELECT count(*) FROM effects") >= 240

    await eventually(all_applied)
    rows = await effect_rows(databases.sink)
    for aggregate in ("s0", "s1", "s2"):
        seen = [n for n, agg, _ in rows if agg == aggregate]
        assert seen == sorted(seen) and len(seen) == 80
    assert failed_once, "the transient failures were exercised"


async def test_ping_reports_readiness(transports: TransportFactory) -> None:
    transport = await transports("probe")
    await transport.ping()
    await transport.stop()
    with pytest.raises(ConnectionError):
        await transport.ping()
