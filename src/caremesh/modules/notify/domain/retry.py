"""When to try a failed delivery again, and when to give up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_MAX_EXPONENT = 32  # beyond this the cap applies anyway; avoids float overflow on absurd counts


@dataclass(frozen=True)
class BackoffPolicy:
    max_attempts: int = 6
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay <= timedelta(0) or self.max_delay < self.base_delay:
            raise ValueError("delays must be positive and max_delay >= base_delay")
        if self.multiplier < 1:
            raise ValueError("multiplier must be at least 1")

    def ceiling(self, attempt: int) -> timedelta:
        """The un-jittered delay after the ``attempt``-th failure (1-based), capped at ``max_delay``."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        return min(self.max_delay, self.base_delay * (self.multiplier**exponent))

    def delay(self, attempt: int, rand: float) -> timedelta:
        """Equal jitter: half the delay is fixed and half random (``rand`` in [0, 1]).

        A provider outage fails many messages at once; jitter spreads their retries so the
        recovering provider is not hit by a synchronized wave, while the fixed half keeps a
        minimum pause.
        """
        ceiling = self.ceiling(attempt)
        return ceiling / 2 + ceiling * (min(max(rand, 0.0), 1.0) / 2)


@dataclass(frozen=True)
class RetryAt:
    at: datetime


@dataclass(frozen=True)
class GiveUp:
    reason: str


def after_failure(
    policy: BackoffPolicy, *, attempts: int, permanent: bool, code: str, now: datetime, rand: float
) -> RetryAt | GiveUp:
    """Decide the fate of a notification whose ``attempts``-th delivery attempt failed with ``code``."""
    if permanent:
        return GiveUp(code)
    if attempts >= policy.max_attempts:
        return GiveUp("max-attempts")
    return RetryAt(now + policy.delay(attempts, rand))
