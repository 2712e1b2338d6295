"""Lockout after repeated failed logins, with exponential backoff.

The first ``FREE_ATTEMPTS`` failures cost nothing; each further failure locks the account for
``BASE`` doubled per failure, capped at ``CAP``. A successful login resets the counter.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FREE_ATTEMPTS = 5
BASE = timedelta(seconds=30)
CAP = timedelta(hours=1)


def lock_duration(failed_attempts: int) -> timedelta | None:
    """How long the account stays locked after this many consecutive failures."""
    excess = failed_attempts - FREE_ATTEMPTS
    if excess < 0:
        return None
    return min(BASE * (2 ** min(excess, 16)), CAP)


def locked_until(failed_attempts: int, now: datetime) -> datetime | None:
    duration = lock_duration(failed_attempts)
    return None if duration is None else now + duration


def is_locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and now < until
