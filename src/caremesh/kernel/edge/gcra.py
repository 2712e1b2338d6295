"""GCRA (the generic cell rate algorithm): a token bucket kept as one timestamp per key.

A bucket of ``burst`` requests refilling at ``rate`` per second is equivalent to remembering
one *theoretical arrival time* (TAT) per key: a request is allowed when ``TAT - now`` leaves
room for one more emission interval within the burst tolerance. One number per key makes the
shared (Redis) variant a single atomic read-modify-write, and the same arithmetic runs here and
in the Lua script of ``redis_store`` so both stores answer identically.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

MAX_RATE = 100_000.0


@dataclass(frozen=True)
class Limit:
    """``burst`` requests at once, refilled at ``rate`` requests per second."""

    name: str
    rate: float
    burst: int

    def __post_init__(self) -> None:
        # Timestamps are float milliseconds since the epoch (~0.25 µs resolution): an emission
        # interval below 10 µs would vanish into rounding.
        if not 0 < self.rate <= MAX_RATE or self.burst < 1:
            raise ValueError(f"rate limit {self.name!r} needs 0 < rate <= {MAX_RATE} and burst >= 1")

    @property
    def emission_ms(self) -> float:
        return 1000.0 / self.rate

    @property
    def window_seconds(self) -> int:
        """The time an empty bucket takes to refill: the ``w`` of the RateLimit-Policy field."""
        return max(1, math.ceil(self.burst / self.rate))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after_ms: float  # 0 when allowed
    reset_after_ms: float  # until the bucket is full again

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after_ms / 1000)) if not self.allowed else 0

    @property
    def reset_seconds(self) -> int:
        return max(0, math.ceil(self.reset_after_ms / 1000))


def decide(tat_ms: float | None, now_ms: float, limit: Limit) -> tuple[Decision, float | None]:
    """The decision for one request and the key's new TAT (None: unchanged, request refused)."""
    emission = limit.emission_ms
    tolerance = emission * limit.burst
    tat = now_ms if tat_ms is None or tat_ms < now_ms else tat_ms
    new_tat = tat + emission
    allow_at = new_tat - tolerance
    if now_ms < allow_at:
        return Decision(False, 0, allow_at - now_ms, tat - now_ms), None
    remaining = int((now_ms - allow_at) // emission)
    return Decision(True, remaining, 0.0, new_tat - now_ms), new_tat


class RateLimitStore(Protocol):
    async def acquire(self, key: str, limit: Limit) -> Decision: ...

    async def aclose(self) -> None: ...


class MemoryStore:
    """One process's buckets (the all-in-one topology): a bounded map of key -> TAT."""

    def __init__(self, *, max_keys: int = 100_000, clock: object = None) -> None:
        self._tats: OrderedDict[str, float] = OrderedDict()
        self._max_keys = max_keys
        self._now_ms = clock if callable(clock) else (lambda: time.monotonic() * 1000.0)

    async def acquire(self, key: str, limit: Limit) -> Decision:
        now = float(self._now_ms())
        decision, new_tat = decide(self._tats.get(key), now, limit)
        if new_tat is not None:
            self._tats[key] = new_tat
            self._tats.move_to_end(key)
            self._evict(now)
        return decision

    def _evict(self, now: float) -> None:
        # Oldest-touched first: a key whose TAT has passed is a full bucket and can be forgotten;
        # past the size bound the least recently used goes even if not yet full (bounded memory
        # matters more than the exactness of one idle client's bucket).
        while self._tats:
            key, tat = next(iter(self._tats.items()))
            if tat > now and len(self._tats) <= self._max_keys:
                return
            del self._tats[key]

    async def aclose(self) -> None:
        self._tats.clear()
