"""Prefixes eq ne gt lt ge le sa eb ap: the generated SQL agrees with an oracle of the spec's words.

The SQL runs on a real (in-memory) SQLite with the kernel's datetime adapter, so the comparison
semantics of stored values are those of the product.
"""

from __future__ import annotations

import calendar
import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import caremesh.kernel.db.sqlite  # noqa: F401  (registers the timezone-aware datetime adapter)
from caremesh.fhir.search.prefixes import PREFIXES, range_sql, split_prefix, widen_dates, widen_numbers
from caremesh.fhir.search.sql_common import Binder
from caremesh.fhir.search.values import parse_date, parse_number
from caremesh.kernel.db.sqlite import to_sqlite

MICRO = timedelta(microseconds=1)


def oracle(prefix: str, lo: Any, hi: Any, ql: Any, qh: Any) -> bool:
    """FHIR R4 3.1.1.4.2, closed intervals: the resource range [lo, hi], the search range [ql, qh]."""
    contains = ql <= lo and hi <= qh
    above_overlaps = hi > qh  # (qh, +inf) meets [lo, hi]
    below_overlaps = lo < ql
    return {
        "eq": contains,
        "ne": not contains,
        "gt": above_overlaps,
        "lt": below_overlaps,
        "ge": above_overlaps or contains,
        "le": below_overlaps or contains,
        "sa": lo > qh,
        "eb": hi < ql,
        "ap": lo <= qh and hi >= ql,  # on the widened search range
    }[prefix]


def sql_says(prefix: str, lo: Any, hi: Any, ql: Any, qh: Any) -> bool:
    b = Binder("sqlite")
    condition = range_sql(prefix, "t.lo", "t.hi", ql, qh, b)  # type: ignore[arg-type]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (lo TIMESTAMPTZ, hi TIMESTAMPTZ)")
    db.execute("INSERT INTO t VALUES (?, ?)", (lo, hi))
    row = db.execute(to_sqlite(f"SELECT COUNT(*) FROM t WHERE {condition}"), b.args).fetchone()
    db.close()
    return bool(row[0])


@st.composite
def date_texts(draw: st.DrawFn) -> tuple[str, datetime, datetime]:
    """A date of random precision, with the interval it covers computed independently."""
    year = draw(st.integers(1990, 2030))
    precision = draw(st.sampled_from(["year", "month", "day", "second"]))
    if precision == "year":
        return (
            f"{year}",
            datetime(year, 1, 1, tzinfo=UTC),
            datetime(year, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        )
    month = draw(st.integers(1, 12))
    last_day = calendar.monthrange(year, month)[1]
    if precision == "month":
        end = datetime(year, month, last_day, 23, 59, 59, 999999, tzinfo=UTC)
        return f"{year}-{month:02d}", datetime(year, month, 1, tzinfo=UTC), end
    day = draw(st.integers(1, last_day))
    start = datetime(year, month, day, tzinfo=UTC)
    if precision == "day":
        return f"{year}-{month:02d}-{day:02d}", start, start + timedelta(days=1) - MICRO
    start += timedelta(seconds=draw(st.integers(0, 86399)))
    return start.strftime("%Y-%m-%dT%H:%M:%SZ"), start, start + timedelta(seconds=1) - MICRO


@st.composite
def resource_ranges(draw: st.DrawFn) -> tuple[datetime, datetime]:
    base = datetime(1990, 1, 1, tzinfo=UTC)
    low = base + timedelta(seconds=draw(st.integers(0, 41 * 366 * 86400)))
    width = draw(st.sampled_from([timedelta(0), timedelta(seconds=1) - MICRO, timedelta(days=1) - MICRO,
                                  timedelta(days=draw(st.integers(0, 800)))]))  # fmt: skip
    return low, low + width


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PREFIXES), date_texts(), resource_ranges())
def test_date_prefix_sql_agrees_with_the_oracle(prefix: str, query: tuple, resource: tuple) -> None:
    text, expected_low, expected_high = query
    parsed = parse_date(text)
    assert (parsed.low, parsed.high) == (expected_low, expected_high)
    ql, qh = parsed.low, parsed.high
    if prefix == "ap":
        ql, qh = widen_dates(ql, qh, datetime(2025, 1, 1, tzinfo=UTC))
        assert ql <= parsed.low and qh >= parsed.high
    low, high = resource
    assert sql_says(prefix, low, high, ql, qh) == oracle(prefix, low, high, ql, qh)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PREFIXES),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
    st.decimals(min_value=-1000, max_value=1000, places=1, allow_nan=False),
)
def test_number_prefix_sql_agrees_with_the_oracle(prefix: str, query: Decimal, stored: Decimal) -> None:
    found = parse_number(str(query))
    low, high = found.low, found.high
    if prefix == "ap":
        low, high = widen_numbers(low, high, found.value)
    resource = parse_number(str(stored))
    b_sql = sql_says_numbers(prefix, resource.low, resource.high, low, high)
    assert b_sql == oracle(prefix, resource.low, resource.high, low, high)


def sql_says_numbers(prefix: str, lo: Decimal, hi: Decimal, ql: Decimal, qh: Decimal) -> bool:
    b = Binder("sqlite")
    condition = range_sql(prefix, "t.lo", "t.hi", ql, qh, b)  # type: ignore[arg-type]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (lo REAL, hi REAL)")
    db.execute("INSERT INTO t VALUES (?, ?)", (float(lo), float(hi)))
    row = db.execute(to_sqlite(f"SELECT COUNT(*) FROM t WHERE {condition}"), b.args).fetchone()
    db.close()
    return bool(row[0])


def test_a_date_range_query_finds_what_falls_inside() -> None:
    # A resource in mid-January 2020 against "ge 2020-01-01 and lt 2020-02-01" (the usual range).
    moment = datetime(2020, 1, 15, 10, tzinfo=UTC)
    ge, lt = parse_date("2020-01-01"), parse_date("2020-02-01")
    assert sql_says("ge", moment, moment, ge.low, ge.high)
    assert sql_says("lt", moment, moment, lt.low, lt.high)
    assert not sql_says("lt", moment, moment, parse_date("2020-01-15").low, parse_date("2020-01-15").high)


def test_numbers_carry_their_implicit_precision() -> None:
    assert (parse_number("100").low, parse_number("100").high) == (Decimal("99.5"), Decimal("100.5"))
    assert (parse_number("1.50").low, parse_number("1.50").high) == (Decimal("1.495"), Decimal("1.505"))
    assert parse_number("1e2").low == Decimal("50")


@pytest.mark.parametrize("text", ["ge2020", "2020", "ap-5", "eq1.5"])
def test_split_prefix_accepts_known_prefixes(text: str) -> None:
    prefix, rest = split_prefix(text)
    assert prefix + rest == text or (prefix == "eq" and rest == text)


@pytest.mark.parametrize("text", ["xx2020", "gr5", "GE2020"])
def test_split_prefix_names_an_unknown_prefix(text: str) -> None:
    with pytest.raises(ValueError, match="unknown prefix"):
        split_prefix(text)
