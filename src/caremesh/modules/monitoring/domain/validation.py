"""Validation of a parsed reading: capabilities, unit normalisation, physiologic ranges, time window.

Validators are plugins (entry-point group ``caremesh.monitoring.validators``): each one looks at a
normalised reading and returns a :class:`Rejection` or ``None``. The built-ins below cover every
device type; a plugin may narrow itself to some device types with ``device_types``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from caremesh.modules.monitoring.domain import candidate as reasons
from caremesh.modules.monitoring.domain.candidate import Candidate, Rejection
from caremesh.modules.monitoring.domain.device_types import JUMP_LIMITS, METRIC_RANGES, DeviceType
from caremesh.modules.monitoring.domain.reading import READING_KINDS
from caremesh.modules.monitoring.domain.units import UnitError, normalise

# The metric a reading of each kind cannot be without (a cuff reading without a systolic is no reading).
REQUIRED_METRICS: Mapping[str, tuple[str, ...]] = {
    "glucose": ("glucose",),
    "blood-pressure": ("systolic", "diastolic"),
    "pulse-oximetry": ("spo2",),
    "weight": ("weight",),
    "temperature": ("temperature",),
}


@dataclass(frozen=True)
class ValidationPolicy:
    future_skew: timedelta = timedelta(minutes=5)  # device clocks run a little fast
    max_age: timedelta = timedelta(days=30)  # older readings are of no use to monitoring


@dataclass(frozen=True)
class Normalised:
    candidate: Candidate
    values: Mapping[str, float]  # metric -> value in its canonical unit


class ReadingValidator(Protocol):
    name: str
    device_types: frozenset[str] | None  # None: applies to every device type

    def check(
        self, reading: Normalised, device_type: DeviceType, now: datetime, policy: ValidationPolicy
    ) -> Rejection | None: ...


def normalise_candidate(item: Candidate, device_type: DeviceType) -> Normalised | Rejection:
    """Check the reading fits the device's capabilities and convert every value to its canonical unit."""
    metrics = READING_KINDS.get(item.kind)
    if metrics is None or not device_type.measures(item.kind):
        return Rejection(
            reasons.UNSUPPORTED_KIND, f"a {device_type.code} does not measure {item.kind[:40]!r} readings"
        )
    foreign = sorted(set(item.measurements) - set(metrics))
    if foreign:
        return Rejection(reasons.UNSUPPORTED_KIND, f"{item.kind} readings have no metric {foreign[0][:40]!r}")
    missing = [m for m in REQUIRED_METRICS[item.kind] if m not in item.measurements]
    if missing:
        return Rejection(reasons.MALFORMED, f"a {item.kind} reading needs {', '.join(missing)}")
    values: dict[str, float] = {}
    for metric, measurement in item.measurements.items():
        try:
            values[metric] = normalise(metric, measurement.value, measurement.unit)
        except UnitError as exc:
            return Rejection(reasons.UNIT, str(exc))
    return Normalised(item, values)


class PhysiologicRanges:
    name = "physiologic-ranges"
    device_types: frozenset[str] | None = None

    def check(
        self, reading: Normalised, device_type: DeviceType, now: datetime, policy: ValidationPolicy
    ) -> Rejection | None:
        for metric, value in reading.values.items():
            limits = METRIC_RANGES[metric]
            if not limits.low <= value <= limits.high:
                return Rejection(
                    reasons.OUT_OF_RANGE,
                    f"{metric} {value:g} is outside the possible range {limits.low:g}-{limits.high:g}",
                )
        systolic, diastolic = reading.values.get("systolic"), reading.values.get("diastolic")
        if systolic is not None and diastolic is not None and systolic <= diastolic:
            return Rejection(reasons.OUT_OF_RANGE, "systolic pressure must exceed diastolic pressure")
        return None


class TimeWindow:
    name = "time-window"
    device_types: frozenset[str] | None = None

    def check(
        self, reading: Normalised, device_type: DeviceType, now: datetime, policy: ValidationPolicy
    ) -> Rejection | None:
        at = reading.candidate.measured_at
        if at > now + policy.future_skew:
            return Rejection(reasons.FUTURE, f"measured {(at - now).total_seconds():.0f} s in the future")
        if at < now - policy.max_age:
            return Rejection(reasons.TOO_OLD, f"measured more than {policy.max_age.days} days ago")
        return None


BUILT_IN_VALIDATORS: tuple[ReadingValidator, ...] = (PhysiologicRanges(), TimeWindow())


def validate(
    reading: Normalised,
    device_type: DeviceType,
    validators: tuple[ReadingValidator, ...],
    now: datetime,
    policy: ValidationPolicy,
) -> Rejection | None:
    for validator in validators:
        if validator.device_types is not None and device_type.code not in validator.device_types:
            continue
        rejection = validator.check(reading, device_type, now, policy)
        if rejection is not None:
            return rejection
    return None


def is_implausible_jump(
    metric: str, value: float, at: datetime, previous: tuple[float, datetime] | None
) -> bool:
    """Whether ``value`` moved more than the metric's jump limit since the previous reading."""
    limit = JUMP_LIMITS.get(metric)
    if limit is None or previous is None:
        return False
    before, before_at = previous
    return abs(at - before_at) <= limit.within and abs(value - before) > limit.max_delta
