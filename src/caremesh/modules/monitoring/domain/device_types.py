"""Device types as data: what each kind of home device measures and the plausible range of each metric.

Adding a device type is adding an entry here (or a validator plugin); the pipeline reads only this data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class MetricRange:
    """Physiologically possible values (outside: a device or entry error, so the reading is rejected)."""

    low: float
    high: float


@dataclass(frozen=True)
class JumpLimit:
    """A change larger than ``max_delta`` within ``within`` is implausible: flagged, never dropped."""

    max_delta: float
    within: timedelta


@dataclass(frozen=True)
class DeviceType:
    code: str
    display: str
    kinds: tuple[str, ...]  # reading kinds (domain.reading.READING_KINDS) this type produces
    snomed: str  # SNOMED CT code of the device type, for the FHIR Device view

    def measures(self, kind: str) -> bool:
        return kind in self.kinds


DEVICE_TYPES: Mapping[str, DeviceType] = {
    t.code: t
    for t in (
        DeviceType("glucose-meter", "Blood glucose meter", ("glucose",), "337414009"),
        DeviceType("bp-cuff", "Blood pressure cuff", ("blood-pressure",), "70665002"),
        DeviceType("pulse-oximeter", "Pulse oximeter", ("pulse-oximetry",), "448703006"),
        DeviceType("scale", "Body weight scale", ("weight",), "19892000"),
        DeviceType("thermometer", "Clinical thermometer", ("temperature",), "27991004"),
    )
}

# Limits of what a human body can present, in the canonical unit of each metric.
METRIC_RANGES: Mapping[str, MetricRange] = {
    "glucose": MetricRange(10, 1000),  # mg/dL; meters read roughly 20-600
    "systolic": MetricRange(50, 300),  # mm[Hg]
    "diastolic": MetricRange(20, 200),
    "heart_rate": MetricRange(20, 300),  # /min
    "spo2": MetricRange(50, 100),  # %
    "weight": MetricRange(1, 400),  # kg
    "temperature": MetricRange(25, 45),  # Cel
}

JUMP_LIMITS: Mapping[str, JumpLimit] = {
    "weight": JumpLimit(5, timedelta(hours=24)),
    "temperature": JumpLimit(2.5, timedelta(hours=1)),
    "systolic": JumpLimit(80, timedelta(hours=1)),
    "diastolic": JumpLimit(50, timedelta(hours=1)),
    "spo2": JumpLimit(15, timedelta(minutes=30)),
    "glucose": JumpLimit(250, timedelta(hours=1)),
}


def device_type(code: str) -> DeviceType | None:
    return DEVICE_TYPES.get(code)
