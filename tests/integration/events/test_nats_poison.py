"""Poison events over NATS: dead-lettered with their reason, and the events after them still flow."""

from __future__ import annotations

from dataclasses import replace

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

from caremesh.kernel.events.consumer import HandlerContext, RetryPolicy, Subscription
from caremesh.kernel.events.envelope import Envelope

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

ALWAYS_FAILS = 13


async def effect_unless_cursed(event: Counted, hctx: HandlerContext) -> None:
    if event.n == ALWAYS_FAILS:
        raise RuntimeError(f"cannot apply event {event.n}")
    await record_effect(event, hctx)


def envelope(n: int, **changes: object) -> Envelope:
    return replace(Envelope.wrap(Counted(n=n), source="source"), **changes)  # type: ignore[arg-type]


async def test_poison_events_are_dead_lettered_and_later_events_flow(
    databases: Databases, transports: TransportFactory
) -> None:
    publisher, consumer = await transports("source"), await transports("sink")
    retry = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)
    consumer.subscribe(
        Subscription(consumer="sink.effects", db=databases.sink, retry=retry).on(
            Counted, effect_unless_cursed
        )
    )
    await publisher.publish(
        [
            envelope(1),
            envelope(2, payload={"n": "two", "stream": "a"}),
            envelope(3, version=2),
            envelope(ALWAYS_FAILS),
        ]
    )
    await publisher._jetstream().publish(
        publisher.subject_of(Counted.event_type), b"{not json", headers={"Nats-Msg-Id": "garbled-1"}
    )
    await publisher.publish([envelope(n) for n in (4, 5, 6)])

    async def settled() -> bool:
        return await count_of(databases.sink, "SELECT count(*) FROM effects") == 4

    await eventually(settled)
    assert [n for n, _, _ in await effect_rows(databases.sink)] == [1, 4, 5, 6]
    reasons = [reason for _, reason in await dead_letters(databases.sink)]
    assert len(reasons) == 4
    assert "invalid source.Counted payload" in reasons[0]
    assert "version 2 is not understood" in reasons[1]
    assert reasons[2] == f"RuntimeError: cannot apply event {ALWAYS_FAILS}"
    assert "malformed event envelope" in reasons[3]
    async with databases.sink.read() as conn:
        attempts = await conn.fetchval("SELECT attempts FROM dead_letters WHERE event_id = 'garbled-1'")
    assert attempts == 1

    async def all_acked() -> bool:
        stream = await publisher._jetstream().stream_info(publisher.settings.stream)
        info = await consumer._jetstream().consumer_info(publisher.settings.stream, "sink-effects")
        return bool(info.ack_floor.stream_seq == stream.state.last_seq == 8)

    await eventually(all_acked, timeout=5)
