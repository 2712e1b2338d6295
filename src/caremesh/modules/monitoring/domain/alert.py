"""Alerts: severities, the open → acknowledged → resolved lifecycle, breaches and their deduplication.

A *breach* is one reading (or one silent period) violating one rule of a patient's care plan. An
*alert* is the care team's work item for a (patient, rule): while it is active (open or
acknowledged) further breaches of the same rule only update its count and last value, so a
flooding device produces one alert, not thousands.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

LOW, WARNING, CRITICAL = "low", "warning", "critical"
SEVERITIES = (LOW, WARNING, CRITICAL)
SEVERITY_RANK = {LOW: 1, WARNING: 2, CRITICAL: 3}

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED)
ACTIVE_STATUSES = (OPEN, ACKNOWLEDGED)

# What kind of rule produced the alert.
THRESHOLD, TREND, DRIFT, MISSING_DATA = "threshold", "trend", "drift", "missing-data"

SYSTEM_ACTOR = "system"  # who resolves an alert the data itself cleared (e.g. a reading arrived)

_TRANSITIONS = {OPEN: {ACKNOWLEDGED, RESOLVED}, ACKNOWLEDGED: {RESOLVED}, RESOLVED: set()}


class AlertTransitionError(ValueError):
    """A lifecycle step the alert's current status does not allow (e.g. acknowledging a resolved alert)."""


def check_transition(current: str, target: str) -> None:
    if target not in _TRANSITIONS.get(current, set()):
        raise AlertTransitionError(f"an alert that is {current} cannot become {target}")


def worse(first: str, second: str) -> str:
    """The more severe of two severities."""
    return first if SEVERITY_RANK[first] >= SEVERITY_RANK[second] else second


def is_worse(candidate: str, than: str) -> bool:
    return SEVERITY_RANK[candidate] > SEVERITY_RANK[than]


@dataclass(frozen=True)
class Breach:
    patient_id: str
    rule_id: str
    category: str  # THRESHOLD, TREND, DRIFT or MISSING_DATA
    severity: str
    metric: str | None
    value: float | None  # the offending value (for missing data: hours without a reading)
    observed_at: datetime  # when the offending measurement was taken (or the last one, if missing)
    reading_id: str | None = None


@dataclass(frozen=True)
class BreachSummary:
    """All breaches of one (patient, rule) in one evaluation batch, folded into one alert update."""

    patient_id: str
    rule_id: str
    category: str
    severity: str  # the worst seen
    metric: str | None
    last_value: float | None  # the value of the latest measurement
    first_at: datetime
    last_at: datetime
    count: int
    reading_id: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.patient_id, self.rule_id)


def _fold(summary: BreachSummary, breach: Breach) -> BreachSummary:
    newer = breach.observed_at >= summary.last_at
    return BreachSummary(
        patient_id=summary.patient_id,
        rule_id=summary.rule_id,
        category=summary.category,
        severity=worse(summary.severity, breach.severity),
        metric=breach.metric if newer else summary.metric,
        last_value=breach.value if newer else summary.last_value,
        first_at=min(summary.first_at, breach.observed_at),
        last_at=max(summary.last_at, breach.observed_at),
        count=summary.count + 1,
        reading_id=breach.reading_id if newer else summary.reading_id,
    )


def summarise(breaches: Iterable[Breach]) -> list[BreachSummary]:
    """One summary per (patient, rule), ordered by that key (a stable lock order for the updates)."""
    folded: dict[tuple[str, str], BreachSummary] = {}
    for breach in breaches:
        key = (breach.patient_id, breach.rule_id)
        current = folded.get(key)
        if current is None:
            folded[key] = BreachSummary(
                patient_id=breach.patient_id,
                rule_id=breach.rule_id,
                category=breach.category,
                severity=breach.severity,
                metric=breach.metric,
                last_value=breach.value,
                first_at=breach.observed_at,
                last_at=breach.observed_at,
                count=1,
                reading_id=breach.reading_id,
            )
        else:
            folded[key] = _fold(current, breach)
    return [folded[key] for key in sorted(folded)]


def notification_allowed(severity: str, notified_in_window: int, cap_per_hour: int) -> bool:
    """The per-patient rate cap: critical alerts always reach the care team; others only under the cap.

    Alerts over the cap are still created (visible on the dashboard), only not pushed to anyone.
    """
    return severity == CRITICAL or notified_in_window < cap_per_hour
