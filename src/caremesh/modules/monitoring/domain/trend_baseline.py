"""A patient's own baseline per metric (rolling median and MAD) and sustained drift away from it.

The baseline keeps the samples of the last ``window_days`` (bounded by ``max_samples``), so the
median and the median absolute deviation are exact, and it is updated incrementally: one stored
row per (patient, metric), loaded and saved once per evaluation batch. A reading is *beyond* the
baseline when it lies more than ``mad_multiplier`` robust spreads from the median; drift is
``consecutive`` readings beyond it on the same side. Thresholds do not matter here: a patient whose
systolic pressure moves from 120 to 150 drifts while no threshold rule fires.

Every reading is judged against the window before it, so the statistics change with each reading:
the window's values are also kept sorted (``bisect``), which makes the median a lookup and the MAD
a binary search (:func:`median_and_mad`) instead of two full sorts per reading. The results are
bit-identical to ``statistics.median`` over the window (a property test checks it).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from caremesh.modules.monitoring.domain.care_plan import DriftSettings

# MAD * 1.4826 estimates the standard deviation of normally distributed data.
_MAD_TO_SIGMA = 1.4826
# Forgetting more samples than this at once rebuilds the sorted values instead of deleting one by one.
_REBUILD_AFTER = 32


def _kth_deviation(values: list[float], centre: float, split: int, k: int) -> float:
    """The ``k``-th smallest (0-based) of ``|v - centre|`` over sorted ``values``.

    Below ``split`` the deviations ``centre - values[split - 1 - i]`` grow with ``i``; from ``split``
    on, ``values[split + j] - centre`` grow with ``j``: two sorted runs, so the k-th smallest of
    their union is found by a binary search on how many of the k + 1 smallest come from the left.
    """
    n_left, n_right = split, len(values) - split
    lo, hi = max(0, k + 1 - n_right), min(k + 1, n_left)
    while lo < hi:
        taken = (lo + hi) // 2  # from the left; k + 1 - taken from the right
        right_last = values[split + k - taken] - centre
        if centre - values[split - 1 - taken] < right_last:
            lo = taken + 1
        else:
            hi = taken
    from_right = k + 1 - lo
    left_last = centre - values[split - lo] if lo > 0 else float("-inf")
    right_last = values[split + from_right - 1] - centre if from_right > 0 else float("-inf")
    return max(left_last, right_last)


def median_and_mad(values: list[float]) -> tuple[float, float]:
    """The median of sorted, non-empty ``values`` and their median absolute deviation from it."""
    n = len(values)
    mid = n // 2
    centre = values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2
    split = bisect_left(values, centre)  # values[:split] < centre <= values[split:]
    if n % 2:
        return centre, _kth_deviation(values, centre, split, mid)
    low = _kth_deviation(values, centre, split, mid - 1)
    return centre, (low + _kth_deviation(values, centre, split, mid)) / 2


@dataclass(frozen=True)
class DriftCheck:
    median: float
    spread: float
    deviation: float  # value - median
    run: int  # consecutive readings beyond the baseline on this side, this one included

    def drifting(self, settings: DriftSettings) -> bool:
        return self.run >= settings.consecutive


@dataclass
class Baseline:
    samples: list[tuple[float, float]] = field(default_factory=list)  # (POSIX time, value), oldest first
    side: int = 0  # -1 below, +1 above, 0 within, for the last reading
    run: int = 0
    _sorted: list[float] = field(init=False, repr=False, compare=False)  # the samples' values, ascending

    def __post_init__(self) -> None:
        self._sorted = sorted(value for _, value in self.samples)

    def stats(self) -> tuple[float, float]:
        return median_and_mad(self._sorted)

    def observe(self, at: datetime, value: float, settings: DriftSettings, metric: str) -> DriftCheck | None:
        """Judge ``value`` against the baseline, then add it; None while the baseline is too thin."""
        self._forget_before(at - timedelta(days=settings.window_days))
        check = self._judge(value, settings, metric) if len(self.samples) >= settings.min_samples else None
        self._add(at.timestamp(), value, settings.max_samples)
        return check

    def _judge(self, value: float, settings: DriftSettings, metric: str) -> DriftCheck:
        centre, mad = self.stats()
        spread = max(mad * _MAD_TO_SIGMA, settings.min_spread.get(metric, 0.0))
        deviation = value - centre
        side = 0 if abs(deviation) <= settings.mad_multiplier * spread else (1 if deviation > 0 else -1)
        self.run = self.run + 1 if side != 0 and side == self.side else (1 if side != 0 else 0)
        self.side = side
        return DriftCheck(median=centre, spread=spread, deviation=deviation, run=self.run)

    def _forget_before(self, cutoff: datetime) -> None:
        limit = cutoff.timestamp()
        if self.samples and self.samples[0][0] < limit:
            self._drop_oldest(bisect_left(self.samples, (limit,)))

    def _add(self, at: float, value: float, max_samples: int) -> None:
        self.samples.append((at, value))
        insort(self._sorted, value)
        if self.samples[-1][0] < self.samples[-2 if len(self.samples) > 1 else -1][0]:
            self.samples.sort()  # a late reading (clock skew, gateway backlog) keeps time order
        if len(self.samples) > max_samples:
            self._drop_oldest(len(self.samples) - max_samples)

    def _drop_oldest(self, count: int) -> None:
        dropped = self.samples[:count]
        del self.samples[:count]
        if count > _REBUILD_AFTER:
            self._sorted = sorted(value for _, value in self.samples)
            return
        for _, value in dropped:
            del self._sorted[bisect_left(self._sorted, value)]
