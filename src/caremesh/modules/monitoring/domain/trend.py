"""Weight-gain trends (heart failure): a gain of more than N within a window of hours.

The reference is the lowest weight measured in the window before the new reading, so a gain that
builds up over several readings is caught as surely as a single jump.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from caremesh.modules.monitoring.domain.alert import TREND, Breach
from caremesh.modules.monitoring.domain.care_plan import WeightGainRule
from caremesh.modules.monitoring.domain.reading import Reading

WEIGHT = "weight"
# Scales resolve 0.1 lb (45 g); this only absorbs float error of unit conversions, so that a gain of
# exactly the limit (e.g. 2 lb entered as 0.90718474 kg) is not "more than" the limit.
_TOLERANCE_KG = 1e-6


# Ingestion flags a change too large to be physiological instead of dropping the reading. Thresholds
# still judge such a reading (a real crisis can look like a jump), but trends and baselines skip it:
# one scale error must not become a "gain" or shift a patient's baseline.
IMPLAUSIBLE_JUMP = "implausible-jump"


def usable_for_trends(reading: Reading) -> bool:
    return IMPLAUSIBLE_JUMP not in reading.flags


@dataclass(frozen=True)
class WeightPoint:
    measured_at: datetime
    kg: float


def weight_gain_breaches(
    rules: Iterable[WeightGainRule], history: Sequence[WeightPoint], reading: Reading
) -> list[Breach]:
    """Breaches of ``rules`` by ``reading`` given the patient's earlier weights (any order)."""
    kg = reading.values.get(WEIGHT)
    if kg is None:
        return []
    breaches: list[Breach] = []
    for rule in rules:
        start = reading.measured_at - timedelta(hours=rule.hours)
        earlier = [p.kg for p in history if start <= p.measured_at < reading.measured_at]
        if not earlier:
            continue
        gain = kg - min(earlier)
        if gain > rule.max_gain_kg + _TOLERANCE_KG:
            breaches.append(
                Breach(
                    patient_id=reading.patient_id,
                    rule_id=rule.rule_id,
                    category=TREND,
                    severity=rule.severity,
                    metric=WEIGHT,
                    value=round(gain, 3),  # the gain in kg, not the weight
                    observed_at=reading.measured_at,
                    reading_id=reading.reading_id,
                )
            )
    return breaches


def longest_window(rules: Iterable[WeightGainRule]) -> timedelta:
    return timedelta(hours=max((rule.hours for rule in rules), default=0))
