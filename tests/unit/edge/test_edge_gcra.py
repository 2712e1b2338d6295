"""GCRA arithmetic and the in-process store (a fake clock: these are pure computations)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caremesh.kernel.edge.gcra import Limit, MemoryStore, decide


class Clock:
    def __init__(self) -> None:
        self.ms = 1_000_000.0

    def __call__(self) -> float:
        return self.ms


async def test_burst_then_one_request_per_emission_interval() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    limit = Limit("client", rate=10.0, burst=5)  # 100 ms per request
    burst = [await store.acquire("k", limit) for _ in range(6)]
    assert [d.allowed for d in burst] == [True] * 5 + [False]
    assert [d.remaining for d in burst[:5]] == [4, 3, 2, 1, 0]
    assert burst[5].retry_after_ms == pytest.approx(100.0)
    clock.ms += 100
    assert (await store.acquire("k", limit)).allowed
    assert not (await store.acquire("k", limit)).allowed
    clock.ms += 500  # a full refill
    refilled = await store.acquire("k", limit)
    assert refilled.allowed and refilled.remaining == 4


async def test_refused_requests_do_not_consume_tokens() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    limit = Limit("client", rate=1.0, burst=1)
    assert (await store.acquire("k", limit)).allowed
    for _ in range(10):
        assert not (await store.acquire("k", limit)).allowed
    clock.ms += 1000
    assert (await store.acquire("k", limit)).allowed


async def test_memory_store_stays_bounded() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock, max_keys=100)
    limit = Limit("client", rate=1.0, burst=10)
    for i in range(1000):
        await store.acquire(f"k{i}", limit)
    assert len(store._tats) <= 100


@given(
    rate=st.floats(min_value=0.1, max_value=1000),
    burst=st.integers(min_value=1, max_value=500),
    gaps=st.lists(st.floats(min_value=0, max_value=5000), min_size=1, max_size=60),
)
def test_never_more_than_burst_plus_rate_times_elapsed(rate: float, burst: int, gaps: list[float]) -> None:
    limit = Limit("client", rate=rate, burst=burst)
    now, tat, allowed = 0.0, None, 0
    for gap in gaps:
        now += gap
        decision, new_tat = decide(tat, now, limit)
        if decision.allowed:
            allowed += 1
            tat = new_tat
    assert allowed <= burst + rate * now / 1000 + 1e-6


def test_a_limit_needs_a_positive_rate_and_burst() -> None:
    with pytest.raises(ValueError):
        Limit("client", rate=0, burst=1)
    with pytest.raises(ValueError):
        Limit("client", rate=1, burst=0)
