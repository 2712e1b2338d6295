"""PostgreSQL + NATS, two processes: SIGKILL the relay's or the consumer's process mid-burst."""

from __future__ import annotations

import pytest

from .harness import EFFECTS, TOTAL, Probe, assert_exactly_once, kill_when

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.nats, pytest.mark.timeout(90)]

ITEMS = "SELECT count(*) FROM probe_items"


async def test_kill_9_of_the_relay_process_loses_and_duplicates_nothing(split: Probe) -> None:
    split.fleet.start("sink")
    split.fleet.start("source")
    seen = await kill_when(split.fleet, "source", split.producer, ITEMS, at_least=3_000)
    assert seen < TOTAL, "the burst was over before the kill"

    split.fleet.start("source")
    await assert_exactly_once(split.fleet, split.producer, split.consumer, timeout=45)


async def test_kill_9_of_the_consumer_process_loses_and_duplicates_nothing(split: Probe) -> None:
    split.fleet.start("sink")
    split.fleet.start("source")
    seen = await kill_when(split.fleet, "sink", split.consumer, EFFECTS, at_least=2_500)
    assert seen < TOTAL, "the burst was over before the kill"

    split.fleet.start("sink")
    await assert_exactly_once(split.fleet, split.producer, split.consumer, timeout=45)
