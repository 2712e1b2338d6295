"""Durable consumers over time: a changed subscription, and a consumer deleted under a running loop."""

from __future__ import annotations

from typing import ClassVar

import pytest
from nats_event_support import (
    Counted,
    Databases,
    TransportFactory,
    count_of,
    effect_rows,
    eventually,
    record_effect,
)

from caremesh.contracts.base import Event
from caremesh.kernel.events.consumer import HandlerContext, Subscription
from caremesh.kernel.events.envelope import Envelope

pytestmark = [pytest.mark.nats, pytest.mark.postgres]


class Tallied(Event):
    event_type: ClassVar[str] = "source.Tallied"
    n: int

    def aggregate_id(self) -> str:
        return "tally"


async def record_tally(event: Tallied, hctx: HandlerContext) -> None:
    await hctx.conn.execute(
        "INSERT INTO effects (n, aggregate, event_id) VALUES ($1, 'tally', $2)", event.n, hctx.envelope.id
    )


def wrap(*events: Event) -> list[Envelope]:
    return [Envelope.wrap(event, source="source") for event in events]


async def effects_count_reaches(databases: Databases, expected: int) -> None:
    async def reached() -> bool:
        return await count_of(databases.sink, "SELECT count(*) FROM effects") >= expected

    await eventually(reached)


async def test_a_subscription_that_gains_an_event_type_resumes_where_it_was(
    databases: Databases, transports: TransportFactory
) -> None:
    publisher = await transports("source")
    first = await transports("sink")
    first.subscribe(Subscription(consumer="sink.effects", db=databases.sink).on(Counted, record_effect))
    await publisher.publish(wrap(*(Counted(n=n) for n in range(5))))
    await effects_count_reaches(databases, 5)
    await first.stop()

    second = await transports("sink")
    second.subscribe(
        Subscription(consumer="sink.effects", db=databases.sink)
        .on(Counted, record_effect)
        .on(Tallied, record_tally)
    )
    await publisher.publish(wrap(Tallied(n=100), Counted(n=5), Tallied(n=101)))
    await effects_count_reaches(databases, 8)

    rows = await effect_rows(databases.sink)
    assert [(n, agg) for n, agg, _ in rows[5:]] == [(100, "tally"), (5, "a"), (101, "tally")]
    info = await second._jetstream().consumer_info(second.settings.stream, "sink-effects")
    assert info.config.filter_subject == f"{second.settings.subject_prefix}.source.>" or set(
        info.config.filter_subjects or []
    ) == {second.subject_of("source.Counted"), second.subject_of("source.Tallied")}
    # Resumed after the old ack floor (stream seq 5): three deliveries, nothing replayed.
    assert (info.delivered.stream_seq, info.delivered.consumer_seq) == (8, 3)


async def test_a_deleted_consumer_is_recreated_and_the_inbox_absorbs_the_replay(
    databases: Databases, transports: TransportFactory
) -> None:
    publisher = await transports("source")
    consumer = await transports("sink", verify_every=0.2)
    consumer.subscribe(Subscription(consumer="sink.effects", db=databases.sink).on(Counted, record_effect))
    await publisher.publish(wrap(*(Counted(n=n) for n in range(10))))
    await effects_count_reaches(databases, 10)

    await publisher._jetstream().delete_consumer(publisher.settings.stream, "sink-effects")
    await publisher.publish(wrap(*(Counted(n=n) for n in range(10, 15))))
    await effects_count_reaches(databases, 15)

    # The recreated consumer starts from the beginning of the stream; every copy is a duplicate.
    async def replayed() -> bool:
        info = await consumer._jetstream().consumer_info(consumer.settings.stream, "sink-effects")
        return bool(info.ack_floor.stream_seq == 15)

    await eventually(replayed)
    assert sorted(n for n, _, _ in await effect_rows(databases.sink)) == list(range(15))
