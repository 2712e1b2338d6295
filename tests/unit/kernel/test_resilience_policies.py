"""The building blocks of a remote call's resilience: policy, retry classification, breaker, bulkhead."""

from __future__ import annotations

import asyncio

import pytest

from caremesh.kernel.errors import DependencyUnavailable, NotFound
from caremesh.kernel.resilience import (
    BAD_RESPONSE,
    BREAKER_OPEN,
    BULKHEAD_FULL,
    SERVER_ERROR,
    TIMEOUT,
    UNAVAILABLE,
    UNREACHABLE,
    Bulkhead,
    CircuitBreaker,
    RemoteFailure,
    ResiliencePolicy,
    should_retry,
)


class Attempts:
    """A fake remote operation: fails while ``failures`` remain, counting how often it was tried."""

    def __init__(self, failures: list[BaseException] | None = None) -> None:
        self.failures = list(failures or [])
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


def refused() -> RemoteFailure:
    return RemoteFailure(UNREACHABLE, sent=False)


# --- policy -----------------------------------------------------------------------------------


def test_policy_from_topology_table_converts_and_keeps_defaults() -> None:
    policy = ResiliencePolicy.from_config({"timeout": 1, "attempts": "2", "max_concurrent": 4})
    assert policy.timeout == 1.0 and isinstance(policy.timeout, float)
    assert policy.attempts == 2 and policy.max_concurrent == 4
    assert policy.breaker_threshold == ResiliencePolicy().breaker_threshold


def test_policy_rejects_unknown_and_nonsensical_settings() -> None:
    with pytest.raises(ValueError, match="timeuot"):
        ResiliencePolicy.from_config({"timeuot": 1})
    with pytest.raises(ValueError):
        ResiliencePolicy(timeout=-1)
    with pytest.raises(ValueError):
        ResiliencePolicy(attempts=0)


def test_no_table_means_the_defaults() -> None:
    assert ResiliencePolicy.from_config(None) == ResiliencePolicy()


# --- retry classification ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "failure", "retried"),
    [
        ("query", RemoteFailure(UNREACHABLE, sent=False), True),
        ("query", RemoteFailure(TIMEOUT, sent=True), True),
        ("query", RemoteFailure(UNAVAILABLE, sent=True), True),
        ("query", RemoteFailure(SERVER_ERROR, sent=True, transient=False), False),
        ("command", RemoteFailure(UNREACHABLE, sent=False), True),
        ("command", RemoteFailure(TIMEOUT, sent=False), True),
        ("command", RemoteFailure(TIMEOUT, sent=True), False),
        ("command", RemoteFailure(UNAVAILABLE, sent=True), False),
        ("query", NotFound("no such appointment"), False),
        ("query", RuntimeError("bug"), False),
    ],
)
def test_what_may_be_retried(kind: str, failure: BaseException, retried: bool) -> None:
    assert should_retry(kind, failure) is retried  # type: ignore[arg-type]


# --- circuit breaker --------------------------------------------------------------------------


async def test_breaker_opens_after_consecutive_failures_and_then_fails_fast() -> None:
    breaker = CircuitBreaker("pharmacy", threshold=3, cooldown=60)
    attempt = Attempts([refused(), refused(), refused()])
    for _ in range(3):
        with pytest.raises(RemoteFailure):
            await breaker.call(attempt)
    assert await breaker.state() == "opened"

    with pytest.raises(DependencyUnavailable) as refused_call:
        await breaker.call(attempt)
    assert refused_call.value.details == {"target": "pharmacy", "reason": BREAKER_OPEN}
    assert attempt.calls == 3  # the target was not bothered


async def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = CircuitBreaker("pharmacy", threshold=2, cooldown=60)
    attempt = Attempts([refused()])
    with pytest.raises(RemoteFailure):
        await breaker.call(attempt)
    assert await breaker.call(attempt) == "answer"
    attempt.failures = [refused()]
    with pytest.raises(RemoteFailure):
        await breaker.call(attempt)
    assert await breaker.state() == "closed"


async def test_errors_the_target_meant_and_cancellations_do_not_count() -> None:
    breaker = CircuitBreaker("pharmacy", threshold=1, cooldown=60)
    with pytest.raises(NotFound):
        await breaker.call(Attempts([NotFound("no such order")]))
    with pytest.raises(asyncio.CancelledError):
        await breaker.call(Attempts([asyncio.CancelledError()]))
    assert await breaker.state() == "closed"


async def test_a_contract_or_credentials_mismatch_does_not_count() -> None:
    breaker = CircuitBreaker("pharmacy", threshold=1, cooldown=60)
    for reason in ("unknown-operation", "credentials-rejected", BAD_RESPONSE):
        with pytest.raises(RemoteFailure):
            await breaker.call(Attempts([RemoteFailure(reason, sent=True, transient=False)]))
    assert await breaker.state() == "closed"
    with pytest.raises(RemoteFailure):
        await breaker.call(Attempts([RemoteFailure(SERVER_ERROR, sent=True, transient=False)]))
    assert await breaker.state() == "opened"


async def test_after_the_cooldown_one_success_closes_the_breaker() -> None:
    breaker = CircuitBreaker("pharmacy", threshold=1, cooldown=0.05)
    with pytest.raises(RemoteFailure):
        await breaker.call(Attempts([refused()]))
    assert await breaker.state() == "opened"
    await asyncio.sleep(0.07)
    trial = Attempts()
    assert await breaker.call(trial) == "answer"
    assert trial.calls == 1
    assert await breaker.state() == "closed"


async def test_a_failed_trial_after_the_cooldown_reopens_at_once() -> None:
    breaker = CircuitBreaker("pharmacy", threshold=3, cooldown=0.05)
    for _ in range(3):
        with pytest.raises(RemoteFailure):
            await breaker.call(Attempts([refused()]))
    await asyncio.sleep(0.07)
    with pytest.raises(RemoteFailure):
        await breaker.call(Attempts([refused()]))  # the half-open trial
    assert await breaker.state() == "opened"
    with pytest.raises(DependencyUnavailable):
        await breaker.call(Attempts())


# --- bulkhead ---------------------------------------------------------------------------------


async def test_bulkhead_refuses_beyond_its_slots_after_a_short_wait() -> None:
    bulkhead = Bulkhead("billing", max_concurrent=2, max_wait=0.02)
    release = asyncio.Event()
    entered = 0

    async def hold() -> None:
        nonlocal entered
        async with bulkhead.slot():
            entered += 1
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(2)]
    await asyncio.sleep(0.01)
    assert bulkhead.in_flight == 2
    with pytest.raises(DependencyUnavailable) as refused_call:
        async with bulkhead.slot():
            pass
    assert refused_call.value.details["reason"] == BULKHEAD_FULL
    release.set()
    await asyncio.gather(*holders)
    assert entered == 2 and bulkhead.in_flight == 0
    async with bulkhead.slot():
        assert bulkhead.in_flight == 1


async def test_a_caller_that_waits_gets_a_slot_freed_within_the_wait() -> None:
    bulkhead = Bulkhead("billing", max_concurrent=1, max_wait=1.0)

    async def brief() -> None:
        async with bulkhead.slot():
            await asyncio.sleep(0.02)

    first = asyncio.create_task(brief())
    await asyncio.sleep(0)
    async with bulkhead.slot():
        assert bulkhead.in_flight == 1
    await first


async def test_a_failing_call_gives_its_slot_back() -> None:
    bulkhead = Bulkhead("billing", max_concurrent=1, max_wait=0)
    with pytest.raises(RuntimeError):
        async with bulkhead.slot():
            raise RuntimeError("boom")
    async with bulkhead.slot():
        assert bulkhead.in_flight == 1


async def test_without_a_wait_a_full_bulkhead_refuses_immediately() -> None:
    bulkhead = Bulkhead("billing", max_concurrent=1, max_wait=0)
    async with bulkhead.slot():
        with pytest.raises(DependencyUnavailable):
            async with bulkhead.slot():
                pass
