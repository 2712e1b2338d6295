"""An accepted device reading, as the pipeline hands it to storage, alerting and EHR sync."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# The canonical UCUM unit of each metric; readings are normalised to these before acceptance.
METRIC_UNITS: Mapping[str, str] = {
    "glucose": "mg/dL",
    "systolic": "mm[Hg]",
    "diastolic": "mm[Hg]",
    "heart_rate": "/min",
    "spo2": "%",
    "weight": "kg",
    "temperature": "Cel",
}

# A reading's kind: what one measurement by one device produces (metrics taken together).
READING_KINDS: Mapping[str, tuple[str, ...]] = {
    "glucose": ("glucose",),
    "blood-pressure": ("systolic", "diastolic", "heart_rate"),
    "pulse-oximetry": ("spo2", "heart_rate"),
    "weight": ("weight",),
    "temperature": ("temperature",),
}


@dataclass(frozen=True)
class Reading:
    """One accepted measurement: one or more metrics a device took at one moment.

    ``values`` maps a metric of ``METRIC_UNITS`` to its value in that metric's canonical unit;
    a kind's metrics may be partly present (e.g. a cuff that reports no pulse).
    """

    reading_id: str
    patient_id: str
    device_id: str
    kind: str
    measured_at: datetime
    values: Mapping[str, float]
    received_at: datetime
    flags: frozenset[str] = field(default_factory=frozenset)  # e.g. "implausible-jump"
