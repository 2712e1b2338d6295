"""Normalisation of reported units to each metric's canonical UCUM unit (domain.reading.METRIC_UNITS)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from caremesh.modules.monitoring.domain.reading import METRIC_UNITS

GLUCOSE_MG_PER_MMOL = 18.016  # mg/dL per mmol/L (molar mass of glucose / 10)


def _identity(value: float) -> float:
    return value


# (metric, reported UCUM unit) -> conversion to the canonical unit. Common non-UCUM spellings that
# devices send are accepted as aliases below and mapped to their UCUM code first.
_CONVERSIONS: Mapping[tuple[str, str], Callable[[float], float]] = {
    ("glucose", "mg/dL"): _identity,
    ("glucose", "mmol/L"): lambda v: v * GLUCOSE_MG_PER_MMOL,
    ("systolic", "mm[Hg]"): _identity,
    ("systolic", "kPa"): lambda v: v * 7.50062,
    ("diastolic", "mm[Hg]"): _identity,
    ("diastolic", "kPa"): lambda v: v * 7.50062,
    ("heart_rate", "/min"): _identity,
    ("spo2", "%"): _identity,
    ("weight", "kg"): _identity,
    ("weight", "g"): lambda v: v / 1000,
    ("weight", "[lb_av]"): lambda v: v * 0.45359237,
    ("temperature", "Cel"): _identity,
    ("temperature", "[degF]"): lambda v: (v - 32) * 5 / 9,
}

_ALIASES: Mapping[str, str] = {
    "mg/dl": "mg/dL",
    "mmol/l": "mmol/L",
    "mmhg": "mm[Hg]",
    "mm[hg]": "mm[Hg]",
    "kpa": "kPa",
    "bpm": "/min",
    "beats/min": "/min",
    "{beats}/min": "/min",
    "/min": "/min",
    "%": "%",
    "kg": "kg",
    "g": "g",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "[lb_av]": "[lb_av]",
    "cel": "Cel",
    "°c": "Cel",
    "c": "Cel",
    "[degf]": "[degF]",
    "°f": "[degF]",
    "f": "[degF]",
}


class UnitError(ValueError):
    """The reported unit cannot measure this metric (or is unknown)."""


def canonical_unit(metric: str) -> str:
    return METRIC_UNITS[metric]


def ucum(unit: str) -> str:
    """The UCUM code for a reported unit (its common spellings included)."""
    return _ALIASES.get(unit.strip().lower(), unit.strip())


def normalise(metric: str, value: float, unit: str | None) -> float:
    """``value`` in the canonical unit of ``metric``; no unit means the canonical one was used."""
    if metric not in METRIC_UNITS:
        raise UnitError(f"unknown metric {metric[:40]!r}")
    code = METRIC_UNITS[metric] if unit is None else ucum(unit)
    convert = _CONVERSIONS.get((metric, code))
    if convert is None:
        raise UnitError(f"unit {unit[:20] if unit else ''!r} cannot express {metric}")
    return round(convert(value), 3)
