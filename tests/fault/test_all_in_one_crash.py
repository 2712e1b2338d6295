"""All-in-one on SQLite: SIGKILL mid-burst, restart, and every event has exactly one effect."""

from __future__ import annotations

import pytest

from .harness import EFFECTS, TOTAL, Probe, assert_exactly_once, kill_when

pytestmark = [pytest.mark.fault, pytest.mark.timeout(90)]


async def test_kill_9_mid_burst_then_restart_gives_each_effect_once(all_in_one: Probe) -> None:
    fleet = all_in_one.fleet
    fleet.start("app")
    seen = await kill_when(fleet, "app", all_in_one.consumer, EFFECTS, at_least=2_500)
    assert seen < TOTAL, "the burst was over before the kill"

    fleet.start("app")
    await assert_exactly_once(fleet, all_in_one.producer, all_in_one.consumer, timeout=45)
