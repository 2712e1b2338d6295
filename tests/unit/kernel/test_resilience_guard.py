"""A target's guard: the policies composed, as a caller of another module experiences them."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from caremesh.kernel.errors import Conflict, DependencyUnavailable
from caremesh.kernel.observability.metrics import REGISTRY
from caremesh.kernel.resilience import (
    BREAKER_OPEN,
    BULKHEAD_FULL,
    TIMEOUT,
    UNAVAILABLE,
    UNREACHABLE,
    RemoteFailure,
    ResiliencePolicy,
    TargetGuard,
)

_targets = itertools.count()


def guard(**settings: float) -> TargetGuard:
    """A guard for a fresh target (metrics are process-wide), with backoff too short to notice."""
    fast = {"backoff_initial": 0.001, "backoff_max": 0.002, "backoff_jitter": 0.001}
    return TargetGuard(f"target{next(_targets)}", ResiliencePolicy(**{**fast, **settings}))  # type: ignore[arg-type]


class Remote:
    def __init__(self, *failures: BaseException, delay: float = 0.0) -> None:
        self.failures = list(failures)
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


def unavailable() -> RemoteFailure:
    return RemoteFailure(UNAVAILABLE, sent=True)


def calls_counted(target: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "caremesh_remote_calls_total", {"target": target, "operation": "api.op", "outcome": outcome}
    )
    return value or 0.0


async def test_a_query_is_retried_through_transient_failures() -> None:
    target = guard(attempts=3)
    remote = Remote(unavailable(), RemoteFailure(TIMEOUT, sent=True))
    assert await target.call("api.op", "query", remote) == "answer"
    assert remote.calls == 3
    assert calls_counted(target.target, "ok") == 1


async def test_a_command_that_reached_the_target_is_not_repeated() -> None:
    target = guard(attempts=3)
    remote = Remote(unavailable())
    with pytest.raises(DependencyUnavailable) as failure:
        await target.call("api.op", "command", remote)
    assert remote.calls == 1
    assert failure.value.details == {"target": target.target, "reason": UNAVAILABLE}
    assert calls_counted(target.target, UNAVAILABLE) == 1


async def test_a_command_that_never_left_is_repeated() -> None:
    target = guard(attempts=3)
    remote = Remote(RemoteFailure(UNREACHABLE, sent=False))
    assert await target.call("api.op", "command", remote) == "answer"
    assert remote.calls == 2


async def test_when_attempts_run_out_the_caller_learns_the_last_reason() -> None:
    target = guard(attempts=2, breaker_threshold=10)
    remote = Remote(unavailable(), RemoteFailure(UNREACHABLE, sent=False), unavailable())
    with pytest.raises(DependencyUnavailable) as failure:
        await target.call("api.op", "query", remote)
    assert remote.calls == 2
    assert failure.value.details["reason"] == UNREACHABLE


async def test_a_slow_target_is_abandoned_after_the_timeout() -> None:
    target = guard(timeout=0.05, attempts=2)
    remote = Remote(delay=0.5)
    started = asyncio.get_running_loop().time()
    with pytest.raises(DependencyUnavailable) as failure:
        await target.call("api.op", "query", remote)
    assert failure.value.details["reason"] == TIMEOUT
    assert remote.calls == 2
    assert asyncio.get_running_loop().time() - started < 0.4


async def test_an_error_the_target_meant_reaches_the_caller_unchanged() -> None:
    target = guard(attempts=3, breaker_threshold=1)
    remote = Remote(Conflict("slot already booked", details={"slot_id": "s1"}))
    with pytest.raises(Conflict) as failure:
        await target.call("api.op", "query", remote)
    assert failure.value.details == {"slot_id": "s1"}
    assert remote.calls == 1
    assert await target.breaker.state() == "closed"
    assert calls_counted(target.target, "conflict") == 1


async def test_the_breaker_stops_retries_and_then_fails_fast() -> None:
    target = guard(attempts=5, breaker_threshold=2, breaker_cooldown=60)
    remote = Remote(*(unavailable() for _ in range(5)))
    with pytest.raises(DependencyUnavailable) as failure:
        await target.call("api.op", "query", remote)
    assert failure.value.details["reason"] == BREAKER_OPEN
    assert remote.calls == 2

    with pytest.raises(DependencyUnavailable):
        await target.call("api.op", "query", remote)
    assert remote.calls == 2
    assert calls_counted(target.target, BREAKER_OPEN) == 2


async def test_concurrent_calls_beyond_the_bulkhead_are_refused_not_queued() -> None:
    target = guard(max_concurrent=2, max_wait=0.01)
    remote = Remote(delay=0.1)
    results = await asyncio.gather(
        *(target.call("api.op", "query", remote) for _ in range(5)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, DependencyUnavailable)]
    assert results.count("answer") == 2
    assert len(refused) == 3 and all(r.details["reason"] == BULKHEAD_FULL for r in refused)
    assert remote.calls == 2
    assert calls_counted(target.target, BULKHEAD_FULL) == 3


async def test_latency_is_recorded_per_target_and_operation() -> None:
    target = guard()
    await target.call("api.op", "query", Remote())
    count = REGISTRY.get_sample_value(
        "caremesh_remote_call_duration_seconds_count", {"target": target.target, "operation": "api.op"}
    )
    assert count == 1
