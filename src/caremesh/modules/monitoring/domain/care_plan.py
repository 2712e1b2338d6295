"""A patient's care plan: the rules their readings are judged by.

Rules are data (``care_plan_defaults.toml`` for everyone, a patient's own plan once the care team
sets one); this module holds their shapes and the threshold evaluation. Values are compared in
each metric's canonical unit (``reading.METRIC_UNITS``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from caremesh.modules.monitoring.domain.alert import LOW, SEVERITY_RANK, WARNING

OPERATORS: Mapping[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

POUND_KG = 0.45359237  # the international avoirdupois pound
MASS_UNITS_KG: Mapping[str, float] = {"kg": 1.0, "[lb_av]": POUND_KG}


@dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    limit: float
    severity: str

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.limit)


@dataclass(frozen=True)
class ThresholdMatch:
    severity: str
    metric: str
    value: float


@dataclass(frozen=True)
class ThresholdRule:
    """One alert rule over a reading kind; its conditions are bands, the worst one that holds wins."""

    rule_id: str
    kind: str
    conditions: tuple[Condition, ...]

    def evaluate(self, values: Mapping[str, float]) -> ThresholdMatch | None:
        best: ThresholdMatch | None = None
        for condition in self.conditions:
            value = values.get(condition.metric)
            if value is None or not condition.holds(value):
                continue
            if best is None or SEVERITY_RANK[condition.severity] > SEVERITY_RANK[best.severity]:
                best = ThresholdMatch(condition.severity, condition.metric, value)
        return best


@dataclass(frozen=True)
class WeightGainRule:
    """A gain of more than ``max_gain`` ``unit`` within ``hours`` (heart-failure fluid retention)."""

    rule_id: str
    hours: int
    max_gain: float
    unit: str
    severity: str

    @property
    def max_gain_kg(self) -> float:
        return self.max_gain * MASS_UNITS_KG[self.unit]


@dataclass(frozen=True)
class MissingDataPolicy:
    """Hours without a reading of a kind (one the patient has been sending) before an alert."""

    default_hours: int  # 0: off
    severity: str = WARNING
    hours_by_kind: Mapping[str, int] = field(default_factory=dict)

    def hours_for(self, kind: str) -> int:
        return self.hours_by_kind.get(kind, self.default_hours)


@dataclass(frozen=True)
class DriftSettings:
    metrics: frozenset[str]
    window_days: int = 14
    min_samples: int = 10
    mad_multiplier: float = 3.0
    consecutive: int = 3
    severity: str = LOW
    min_spread: Mapping[str, float] = field(default_factory=dict)
    max_samples: int = 400  # bounds the stored window when a device reports very often


@dataclass(frozen=True)
class CarePlan:
    thresholds: tuple[ThresholdRule, ...]
    weight_gain: tuple[WeightGainRule, ...]
    missing_data: MissingDataPolicy
    drift: DriftSettings
    escalation_minutes: Mapping[str, int]  # severity -> minutes unacknowledged (0: never escalate)
    rate_cap_per_hour: int

    def thresholds_for(self, kind: str) -> tuple[ThresholdRule, ...]:
        return tuple(rule for rule in self.thresholds if rule.kind == kind)

    def escalate_after(self, severity: str) -> int:
        return self.escalation_minutes.get(severity, 0)
