"""Retry policy: exponential growth, a cap, jitter within bounds, and when to give up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caremesh.modules.notify.domain.retry import BackoffPolicy, GiveUp, RetryAt, after_failure

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
POLICY = BackoffPolicy(max_attempts=5, base_delay=timedelta(seconds=30), max_delay=timedelta(minutes=5))


def test_the_delay_doubles_per_attempt_up_to_the_cap() -> None:
    ceilings = [POLICY.ceiling(attempt).total_seconds() for attempt in range(1, 7)]
    assert ceilings == [30, 60, 120, 240, 300, 300]
    assert POLICY.ceiling(10_000) == timedelta(minutes=5)


@pytest.mark.parametrize("attempt", [1, 3, 6])
def test_jitter_keeps_the_delay_between_half_and_all_of_the_ceiling(attempt: int) -> None:
    ceiling = POLICY.ceiling(attempt)
    assert POLICY.delay(attempt, 0.0) == ceiling / 2
    assert POLICY.delay(attempt, 1.0) == ceiling
    assert ceiling / 2 < POLICY.delay(attempt, 0.5) < ceiling


def test_a_transient_failure_is_retried_after_the_jittered_delay() -> None:
    decision = after_failure(POLICY, attempts=2, permanent=False, code="smtp-unavailable", now=NOW, rand=0.5)
    assert decision == RetryAt(NOW + timedelta(seconds=45))


def test_a_permanent_failure_gives_up_at_once_with_its_code() -> None:
    decision = after_failure(POLICY, attempts=1, permanent=True, code="invalid-address", now=NOW, rand=0.5)
    assert decision == GiveUp("invalid-address")


def test_the_last_allowed_attempt_gives_up() -> None:
    assert isinstance(after_failure(POLICY, attempts=4, permanent=False, code="x", now=NOW, rand=0), RetryAt)
    assert after_failure(POLICY, attempts=5, permanent=False, code="x", now=NOW, rand=0) == GiveUp(
        "max-attempts"
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"base_delay": timedelta(0)},
        {"base_delay": timedelta(minutes=2), "max_delay": timedelta(minutes=1)},
        {"multiplier": 0.5},
    ],
)
def test_nonsensical_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BackoffPolicy(**kwargs)  # type: ignore[arg-type]
