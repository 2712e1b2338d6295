"""Resilience against a real server: retries, breaker, timeout, bulkhead, unreachable targets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from rpc_vitals import VitalsFacade

from caremesh.kernel.errors import DependencyUnavailable
from caremesh.kernel.observability.metrics import REGISTRY


def reason(error: pytest.ExceptionInfo[DependencyUnavailable]) -> object:
    return error.value.details["reason"]


async def test_a_query_rides_out_two_503s(remote: Callable[..., Any], facade: VitalsFacade) -> None:
    client = remote(attempts=3)
    facade.unavailable_for = 2
    before = REGISTRY.get_sample_value(
        "caremesh_remote_calls_total", {"target": "vitals", "operation": "vitals.get_vital", "outcome": "ok"}
    ) or 0.0
    assert await client.get_vital("v1") is None
    assert facade.calls["get_vital"] == 3
    after = REGISTRY.get_sample_value(
        "caremesh_remote_calls_total", {"target": "vitals", "operation": "vitals.get_vital", "outcome": "ok"}
    )
    assert after == before + 1


async def test_a_command_that_got_a_503_is_not_repeated(
    remote: Callable[..., Any], facade: VitalsFacade
) -> None:
    client = remote(attempts=3)
    facade.unavailable_for = 1
    with pytest.raises(DependencyUnavailable) as failure:
        await client.discard_vital("v1")
    assert reason(failure) == "unavailable"
    assert facade.calls["discard_vital"] == 1


async def test_a_crash_on_the_server_is_not_retried(remote: Callable[..., Any], facade: VitalsFacade) -> None:
    client = remote(attempts=3)
    facade.crash = True
    with pytest.raises(DependencyUnavailable) as failure:
        await client.get_vital("v1")
    assert reason(failure) == "server-error"
    assert facade.calls["get_vital"] == 1


async def test_an_open_breaker_fails_fast_and_closes_after_a_good_trial(
    remote: Callable[..., Any], facade: VitalsFacade
) -> None:
    client = remote(attempts=1, breaker_threshold=2, breaker_cooldown=0.3)
    facade.unavailable_for = 2
    for _ in range(2):
        with pytest.raises(DependencyUnavailable):
            await client.get_vital("v1")

    started = time.perf_counter()
    with pytest.raises(DependencyUnavailable) as failure:
        await client.get_vital("v1")
    assert reason(failure) == "breaker-open"
    assert time.perf_counter() - started < 0.05
    assert facade.calls["get_vital"] == 2

    await asyncio.sleep(0.35)
    assert await client.get_vital("v1") is None
    assert await client.guard.breaker.state() == "closed"
    assert facade.calls["get_vital"] == 3


async def test_a_slow_answer_becomes_a_timeout(remote: Callable[..., Any], facade: VitalsFacade) -> None:
    client = remote(timeout=0.2, attempts=1)
    facade.delay = 1.0
    started = time.perf_counter()
    with pytest.raises(DependencyUnavailable) as failure:
        await client.get_vital("v1")
    assert reason(failure) == "timeout"
    assert time.perf_counter() - started < 0.6


async def test_the_bulkhead_refuses_calls_beyond_its_slots(
    remote: Callable[..., Any], facade: VitalsFacade
) -> None:
    client = remote(max_concurrent=2, max_wait=0.01)
    facade.delay = 0.3
    results = await asyncio.gather(*(client.get_vital(f"v{i}") for i in range(5)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, DependencyUnavailable)]
    assert results.count(None) == 2
    assert [r.details["reason"] for r in refused] == ["bulkhead-full"] * 3
    assert facade.calls["get_vital"] == 2


async def test_a_target_that_is_down_is_reported_unreachable(
    remote: Callable[..., Any], closed_port_url: str
) -> None:
    client = remote(base_url=closed_port_url, attempts=2)
    for call in (client.get_vital("v1"), client.discard_vital("v1")):
        with pytest.raises(DependencyUnavailable) as failure:
            await call
        assert reason(failure) == "unreachable"
