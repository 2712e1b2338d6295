"""The invariants checked on write, including the edges where a naive check would reject valid data."""

from __future__ import annotations

from typing import Any

import pytest

from caremesh.fhir.validation import Validator
from caremesh.fhir.validation.invariants import check_extension, check_period, check_quantity, check_range


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2020-01-01", "2020-01-01"),
        ("2020-01-31", "2020-02-01"),
        ("2020-06", "2020"),  # different precisions: not comparable beyond the year, so not wrong
        ("2020-06-15", "2020-06"),
        ("2020-01-01T10:00:00Z", "2020-01-01T10:00:00Z"),
        ("2020-01-01T10:00:00+02:00", "2020-01-01T09:00:00Z"),  # 08:00Z then 09:00Z
        ("2020-01-01T10:00:00.5Z", "2020-01-01T10:00:00.50Z"),
        ("2020-01-02", "2020-01-01T23:00:00-05:00"),  # a date's zone is unknown: could be the same day
        ("2020-01-32T10:00:00Z", "2020-01-01T10:00:00Z"),  # impossible date: the schema reports it
    ],
)
def test_periods_that_may_be_right_pass(start: str, end: str) -> None:
    assert check_period({"start": start, "end": end}, "Encounter.period") is None


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2020-02-01", "2020-01-31"),
        ("2021", "2020-12-31"),
        ("2020-01-01T10:00:01Z", "2020-01-01T10:00:00Z"),
        ("2020-01-01T10:00:00Z", "2020-01-01T11:00:00+02:00"),  # end is 09:00Z
        ("2020-01-03T00:00:00Z", "2020-01-01"),
    ],
)
def test_periods_ending_before_they_start_are_rejected(start: str, end: str) -> None:
    issue = check_period({"start": start, "end": end}, "Encounter.period")
    assert issue is not None and issue.code == "invariant" and "per-1" in issue.diagnostics
    assert issue.expression == ("Encounter.period",)


def test_open_periods_pass() -> None:
    assert check_period({"start": "2020-01-01"}, "x") is None
    assert check_period({"end": "2020-01-01"}, "x") is None


def test_range_low_above_high_in_the_same_unit() -> None:
    low, high = {"value": 10, "unit": "mg", "code": "mg"}, {"value": 5, "unit": "mg", "code": "mg"}
    assert check_range({"low": low, "high": high}, "x") is not None
    assert check_range({"low": high, "high": low}, "x") is None
    # different units cannot be compared without conversion
    assert check_range({"low": low, "high": {"value": 5, "code": "g", "unit": "g"}}, "x") is None


def test_quantity_code_needs_its_system() -> None:
    assert check_quantity({"value": 1, "code": "mg"}, "Observation.valueQuantity") is not None
    assert check_quantity({"value": 1, "code": "mg", "system": "http://unitsofmeasure.org"}, "x") is None
    assert check_quantity({"value": 1, "unit": "tablets"}, "x") is None


@pytest.mark.parametrize(
    ("extension", "wrong"),
    [
        ({"url": "u", "valueString": "x"}, False),
        ({"url": "u", "extension": [{"url": "v", "valueCode": "y"}]}, False),
        ({"url": "u", "_valueCode": {"extension": [{"url": "v", "valueString": "y"}]}}, False),
        ({"url": "u"}, True),
        ({"url": "u", "valueString": "x", "extension": [{"url": "v", "valueCode": "y"}]}, True),
    ],
)
def test_extension_has_a_value_or_extensions(extension: dict[str, Any], wrong: bool) -> None:
    assert (check_extension(extension, "x") is not None) is wrong


def test_invariants_apply_to_every_quantity_like_type(validator: Validator) -> None:
    condition = {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/p1"},
        "onsetAge": {"value": 40, "code": "a"},
        "abatementRange": {"low": {"value": 50}, "high": {"value": 45}},
    }
    issues = {(i.code, i.expression[0]) for i in validator.validate(condition)}
    assert issues == {("invariant", "Condition.onsetAge.system"), ("invariant", "Condition.abatementRange")}
