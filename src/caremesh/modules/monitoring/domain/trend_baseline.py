"""A patient's own baseline per metric (rolling median and MAD) and sustained drift away from it.

The baseline keeps the samples of the last ``window_days`` (bounded by ``max_samples``), so the
median and the median absolute deviation are exact, and it is updated incrementally: one stored
row per (patient, metric), loaded and saved once per evaluation batch. A reading is *beyond* the
baseline when it lies more than ``mad_multiplier`` robust spreads from the median; drift is
``consecutive`` readings beyond it on the same side. Thresholds do not matter here: a patient whose
systolic pressure moves from 120 to 150 drifts while no threshold rule fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from caremesh.modules.monitoring.domain.care_plan import DriftSettings

# MAD * 1.4826 estimates the standard deviation of normally distributed data.
_MAD_TO_SIGMA = 1.4826


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

    def stats(self) -> tuple[float, float]:
        values = [v for _, v in self.samples]
        centre = median(values)
        return centre, median(abs(v - centre) for v in values)

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
            self.samples = [s for s in self.samples if s[0] >= limit]

    def _add(self, at: float, value: float, max_samples: int) -> None:
        self.samples.append((at, value))
        if self.samples[-1][0] < self.samples[-2 if len(self.samples) > 1 else -1][0]:
            self.samples.sort()  # a late reading (clock skew, gateway backlog) keeps time order
        if len(self.samples) > max_samples:
            del self.samples[: len(self.samples) - max_samples]
