"""Normal forms: strings, date intervals (partial dates, precision, zones), decimal precision."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caremesh.fhir.indexing.normalize import (
    MAX_DATE,
    MIN_DATE,
    date_range,
    decimal_range,
    normalize_string,
    parse_exact,
    period_range,
    timing_range,
    to_decimal,
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("  Müller-Lüdenscheidt ", "muller-ludenscheidt"),
        ("JOSÉ  María\tÑúñez", "jose maria nunez"),
        ("Straße", "strasse"),
        ("ﬁnn", "finn"),
        ("İstanbul", "istanbul"),
        ("Zoë\n", "zoe"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_strings_lose_case_accents_and_extra_spaces(written: str, normalised: str) -> None:
    assert normalize_string(written) == normalised


@pytest.mark.parametrize(
    ("written", "low", "high"),
    [
        ("2020", utc(2020, 1, 1), utc(2020, 12, 31, 23, 59, 59, 999999)),
        ("2020-02", utc(2020, 2, 1), utc(2020, 2, 29, 23, 59, 59, 999999)),
        ("2021-12", utc(2021, 12, 1), utc(2021, 12, 31, 23, 59, 59, 999999)),
        ("2021-03-15", utc(2021, 3, 15), utc(2021, 3, 15, 23, 59, 59, 999999)),
        ("2021-03-15T10:20:30Z", utc(2021, 3, 15, 10, 20, 30), utc(2021, 3, 15, 10, 20, 30, 999999)),
        (
            "2021-03-15T10:20:30.5Z",
            utc(2021, 3, 15, 10, 20, 30, 500000),
            utc(2021, 3, 15, 10, 20, 30, 599999),
        ),
        (
            "2021-03-15T10:20:30.123+02:00",
            utc(2021, 3, 15, 8, 20, 30, 123000),
            utc(2021, 3, 15, 8, 20, 30, 123999),
        ),
        ("2021-03-15T23:30:00-05:00", utc(2021, 3, 16, 4, 30), utc(2021, 3, 16, 4, 30, 0, 999999)),
        ("2021-03-15T10:20:30", utc(2021, 3, 15, 10, 20, 30), utc(2021, 3, 15, 10, 20, 30, 999999)),  # as UTC
        ("2021-03-15T10:20Z", utc(2021, 3, 15, 10, 20), utc(2021, 3, 15, 10, 20, 59, 999999)),
        (
            "2021-03-15T10:20:30.1234567Z",
            utc(2021, 3, 15, 10, 20, 30, 123456),
            utc(2021, 3, 15, 10, 20, 30, 123456),
        ),
        ("9999", utc(9999, 1, 1), MAX_DATE),
        ("9999-12-31", utc(9999, 12, 31), MAX_DATE),
    ],
)
def test_a_date_covers_the_whole_period_it_names(written: str, low: datetime, high: datetime) -> None:
    assert date_range(written) == (low, high)


@pytest.mark.parametrize("written", ["2021-02-30", "2021-13", "20", "2021-03-15T25:00:00Z", "yesterday", ""])
def test_a_malformed_date_has_no_range(written: str) -> None:
    assert date_range(written) is None


def test_period_and_timing_ranges() -> None:
    assert period_range({"start": "2020", "end": "2021-06"}) == (
        utc(2020, 1, 1),
        utc(2021, 6, 30, 23, 59, 59, 999999),
    )
    assert period_range({"start": "2020-05-01"}) == (utc(2020, 5, 1), MAX_DATE)
    assert period_range({"end": "2020-05-01"}) == (MIN_DATE, utc(2020, 5, 1, 23, 59, 59, 999999))
    assert period_range({}) is None
    timing = {"event": ["2020-03-01", "2020-01-15"], "repeat": {"boundsPeriod": {"end": "2020-06"}}}
    assert timing_range(timing) == (MIN_DATE, utc(2020, 6, 30, 23, 59, 59, 999999))
    assert timing_range({"event": ["2020-03-01", "2020-01-15"]}) == (
        utc(2020, 1, 15),
        utc(2020, 3, 1, 23, 59, 59, 999999),
    )
    assert timing_range({"repeat": {"frequency": 2}}) is None


@given(st.dates(min_value=date(1, 1, 2), max_value=date(9999, 12, 30)))
def test_every_valid_day_is_exactly_24_hours(day: date) -> None:
    found = date_range(day.isoformat())
    assert found is not None
    low, high = found
    assert low == datetime(day.year, day.month, day.day, tzinfo=UTC)
    assert high - low == timedelta(days=1, microseconds=-1)
    month = date_range(day.isoformat()[:7])
    assert month is not None and month[0] <= low and high <= month[1]


@pytest.mark.parametrize(
    ("number", "low", "high"),
    [
        (Decimal("1.5"), "1.45", "1.55"),
        (Decimal("1.50"), "1.495", "1.505"),
        (Decimal("100"), "99.5", "100.5"),
        (Decimal("-2.0"), "-2.05", "-1.95"),
        (Decimal("0.001"), "0.0005", "0.0015"),
        (Decimal("1E+2"), "50", "150"),
    ],
)
def test_decimals_index_their_implicit_precision(number: Decimal, low: str, high: str) -> None:
    assert decimal_range(number) == (Decimal(low), Decimal(high))


def test_json_numbers_become_decimals_with_their_written_digits() -> None:
    from_orjson = orjson.loads(b'{"a": 1.5, "b": 100, "c": 0.1, "d": 1.50, "e": true}')
    assert [to_decimal(from_orjson[k]) for k in "abcde"] == [
        Decimal("1.5"),
        Decimal(100),
        Decimal("0.1"),
        Decimal("1.5"),
        None,
    ]
    exact = parse_exact(b'{"d": 1.50, "big": 12345678901234567890.25}')
    assert to_decimal(exact["d"]) == Decimal("1.50") and str(to_decimal(exact["d"])) == "1.50"
    assert str(to_decimal(exact["big"])) == "12345678901234567890.25"
    assert to_decimal(float("nan")) is None
    assert to_decimal("1.25") == Decimal("1.25")
    assert to_decimal("abc") is None


def test_numbers_outside_the_indexable_window_are_not_indexed() -> None:
    assert to_decimal(Decimal("1E+30")) is None
    assert to_decimal(10**400) is None
    assert to_decimal(Decimal("1E-31")) is None
    assert to_decimal(Decimal("-9.5E+29")) == Decimal("-9.5E+29")
    assert to_decimal(Decimal("1E-30")) == Decimal("1E-30")


def test_bounds_keep_every_digit_of_long_decimals() -> None:
    long = Decimal("123456789012345678901.123456789012345678905")
    assert decimal_range(long) == (
        Decimal("123456789012345678901.1234567890123456789045"),
        Decimal("123456789012345678901.1234567890123456789055"),
    )
    huge = decimal_range(Decimal("9.9E+999999"))  # a search value, say: saturates rather than raising
    assert huge[0] < huge[1]
