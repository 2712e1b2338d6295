"""NATS restarted mid-burst: the relay retries, the consumer reconnects, nothing is lost."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from . import nats_server
from .harness import EFFECTS, TOTAL, Probe, assert_exactly_once, count, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.nats, pytest.mark.timeout(90)]


@pytest.fixture
def nats_comes_back() -> Iterator[None]:
    yield
    nats_server.ensure_running()


async def test_nats_restart_mid_burst_loses_nothing(split: Probe, nats_comes_back: None) -> None:
    if not nats_server.available():
        # CI requires the services, so there the missing server is a failure, not a skip.
        if os.environ.get("CAREMESH_REQUIRE_SERVICES") == "1":
            pytest.fail("no local nats-server process to restart")
        pytest.skip("no local nats-server process to restart")
    split.fleet.start("sink")
    split.fleet.start("source")

    async def under_way() -> bool:
        return await count(split.consumer, EFFECTS) >= 2_000

    await wait_for(split.fleet, under_way, timeout=30, what="2000 effects before the restart")
    async with nats_server.stopped(downtime=3.0):
        assert await count(split.consumer, EFFECTS) < TOTAL, "the burst was over before the restart"

    await assert_exactly_once(split.fleet, split.producer, split.consumer, timeout=45)
    for process in split.fleet.processes.values():
        assert "NATS reconnected" in process.log_path.read_text(), process.log_tail()
