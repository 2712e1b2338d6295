"""Unit normalisation, physiologic ranges, time window and jump detection (pure domain code)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caremesh.modules.monitoring.domain.candidate import Candidate, Measurement, Rejection
from caremesh.modules.monitoring.domain.device_types import DEVICE_TYPES
from caremesh.modules.monitoring.domain.units import UnitError, normalise
from caremesh.modules.monitoring.domain.validation import (
    BUILT_IN_VALIDATORS,
    Normalised,
    ValidationPolicy,
    is_implausible_jump,
    normalise_candidate,
    validate,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("metric", "value", "unit", "expected"),
    [
        ("glucose", 5.5, "mmol/L", 99.088),
        ("glucose", 99, "mg/dl", 99),
        ("weight", 176.37, "lb", 80.0),
        ("weight", 80_000, "g", 80),
        ("temperature", 98.6, "[degF]", 37.0),
        ("temperature", 37.2, None, 37.2),
        ("systolic", 16, "kPa", 120.01),
        ("heart_rate", 64, "bpm", 64),
    ],
)
def test_units_normalise_to_canonical_ucum(
    metric: str, value: float, unit: str | None, expected: float
) -> None:
    assert normalise(metric, value, unit) == pytest.approx(expected, abs=0.01)


def test_a_unit_that_cannot_express_the_metric_is_an_error() -> None:
    with pytest.raises(UnitError):
        normalise("glucose", 100, "kg")


def _glucose(value: float, unit: str, at: datetime = NOW) -> Candidate:
    return Candidate("c1", "glucose", at, {"glucose": Measurement(value, unit)}, {})


def _check(item: Candidate, device: str = "glucose-meter") -> Rejection | Normalised:
    normalised = normalise_candidate(item, DEVICE_TYPES[device])
    if isinstance(normalised, Rejection):
        return normalised
    return (
        validate(normalised, DEVICE_TYPES[device], BUILT_IN_VALIDATORS, NOW, ValidationPolicy()) or normalised
    )


def test_capabilities_ranges_and_time_window() -> None:
    assert isinstance(_check(_glucose(110, "mg/dL")), Normalised)
    assert _reason(_check(_glucose(110, "mg/dL"), device="scale")) == "unsupported-kind"
    assert _reason(_check(_glucose(2000, "mg/dL"))) == "out-of-range"
    assert _reason(_check(_glucose(110, "mg/dL", NOW + timedelta(minutes=6)))) == "timestamp-in-future"
    assert isinstance(
        _check(_glucose(110, "mg/dL", NOW + timedelta(minutes=4))), Normalised
    )  # clock skew allowed
    assert _reason(_check(_glucose(110, "mg/dL", NOW - timedelta(days=31)))) == "timestamp-too-old"


def test_blood_pressure_needs_both_pressures_and_systolic_above_diastolic() -> None:
    only_systolic = Candidate(None, "blood-pressure", NOW, {"systolic": Measurement(120, None)}, {})
    inverted = Candidate(
        None,
        "blood-pressure",
        NOW,
        {"systolic": Measurement(80, None), "diastolic": Measurement(90, None)},
        {},
    )
    assert _reason(_check(only_systolic, "bp-cuff")) == "malformed"
    assert _reason(_check(inverted, "bp-cuff")) == "out-of-range"


def _reason(result: Rejection | Normalised) -> str:
    assert isinstance(result, Rejection), result
    return result.reason


def test_jumps_are_judged_within_the_metric_window() -> None:
    before = (80.0, NOW - timedelta(hours=2))
    assert is_implausible_jump("weight", 86.0, NOW, before)
    assert not is_implausible_jump("weight", 84.0, NOW, before)
    assert not is_implausible_jump("weight", 86.0, NOW + timedelta(days=3), before)  # long gap
    assert not is_implausible_jump("weight", 86.0, NOW, None)


@given(st.floats(min_value=0.5, max_value=50, allow_nan=False))
def test_mmol_and_mg_agree(mmol: float) -> None:
    assert normalise("glucose", mmol, "mmol/L") == pytest.approx(
        normalise("glucose", mmol * 18.016, "mg/dL"), abs=0.01
    )


def test_reading_ids_are_uuid5_of_the_dedupe_key() -> None:
    import uuid

    from caremesh.modules.monitoring.domain.devices import _READING_NAMESPACE, reading_id

    at = datetime(2026, 11, 25, 7, 10, 0, 123456, tzinfo=UTC)
    expected = uuid.uuid5(_READING_NAMESPACE, f"dev-1|glucose|{at.timestamp():.6f}")
    assert reading_id("dev-1", "glucose", at) == str(expected)
    assert reading_id("dev-1", "glucose", at) != reading_id("dev-1", "weight", at)
