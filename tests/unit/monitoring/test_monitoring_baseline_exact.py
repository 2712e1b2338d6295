"""The incremental baseline (sorted window + binary-searched MAD) gives exactly what a full
recomputation with ``statistics.median`` gives, reading by reading, so drift flags cannot change."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from caremesh.modules.monitoring.domain.care_plan import DriftSettings
from caremesh.modules.monitoring.domain.trend_baseline import Baseline, DriftCheck, median_and_mad

DAY0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


@dataclass
class ReferenceBaseline:
    """The previous implementation: the window as a list, two full medians per judged reading."""

    samples: list[tuple[float, float]] = field(default_factory=list)
    side: int = 0
    run: int = 0

    def observe(self, at: datetime, value: float, s: DriftSettings, metric: str) -> DriftCheck | None:
        limit = (at - timedelta(days=s.window_days)).timestamp()
        self.samples = [x for x in self.samples if x[0] >= limit]
        check = None
        if len(self.samples) >= s.min_samples:
            values = [v for _, v in self.samples]
            centre = statistics.median(values)
            mad = statistics.median(abs(v - centre) for v in values)
            spread = max(mad * 1.4826, s.min_spread.get(metric, 0.0))
            deviation = value - centre
            side = 0 if abs(deviation) <= s.mad_multiplier * spread else (1 if deviation > 0 else -1)
            self.run = self.run + 1 if side != 0 and side == self.side else (1 if side != 0 else 0)
            self.side = side
            check = DriftCheck(median=centre, spread=spread, deviation=deviation, run=self.run)
        self.samples.append((at.timestamp(), value))
        if len(self.samples) > 1 and self.samples[-1][0] < self.samples[-2][0]:
            self.samples.sort()  # as before: equal times stay in arrival order
        self.samples = self.samples[max(0, len(self.samples) - s.max_samples) :]
        return check


SMALL_WINDOW = DriftSettings(
    metrics=frozenset({"systolic"}), window_days=2, min_samples=3, mad_multiplier=3.0, consecutive=3,
    min_spread={"systolic": 0.5}, max_samples=25,
)  # fmt: skip

# Few distinct values force ties (equal medians, zero MADs); floats exercise rounding.
VALUES = st.one_of(
    st.integers(min_value=100, max_value=106).map(float),
    st.floats(min_value=60, max_value=220, allow_nan=False).map(lambda v: round(v, 4)),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=120))
def test_median_and_mad_equal_statistics_median(values: list[float]) -> None:
    centre = statistics.median(values)
    assert median_and_mad(sorted(values)) == (centre, statistics.median(abs(v - centre) for v in values))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-180, max_value=900), VALUES),  # minutes step (negative: late)
        min_size=1,
        max_size=150,
    )
)
def test_every_verdict_equals_the_full_recomputation(steps: list[tuple[int, float]]) -> None:
    fast, reference = Baseline(), ReferenceBaseline()
    at = DAY0
    for minutes, value in steps:
        at += timedelta(minutes=minutes)
        assert fast.observe(at, value, SMALL_WINDOW, "systolic") == reference.observe(
            at, value, SMALL_WINDOW, "systolic"
        )
        assert fast.samples == reference.samples


def test_a_loaded_baseline_continues_like_the_one_that_saved_it() -> None:
    first = Baseline()
    for i in range(40):
        first.observe(DAY0 + timedelta(hours=i), 120.0 + (i * 7) % 11, SMALL_WINDOW, "systolic")
    loaded = Baseline(samples=list(first.samples), side=first.side, run=first.run)
    for i in range(40, 60):
        at, value = DAY0 + timedelta(hours=i), 150.0 - (i * 3) % 13
        assert loaded.observe(at, value, SMALL_WINDOW, "systolic") == first.observe(
            at, value, SMALL_WINDOW, "systolic"
        )


def test_a_long_silence_forgets_the_whole_window() -> None:
    baseline = Baseline()
    for i in range(200):
        baseline.observe(DAY0 + timedelta(minutes=10 * i), 120.0 + i % 5, SMALL_WINDOW, "systolic")
    later = DAY0 + timedelta(days=30)
    assert baseline.observe(later, 130.0, SMALL_WINDOW, "systolic") is None
    assert baseline.samples == [(later.timestamp(), 130.0)]
    assert baseline.stats() == (130.0, 0.0)
