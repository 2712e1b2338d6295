"""Comparison prefixes (eq ne gt lt ge le sa eb ap) as comparisons of two closed intervals.

The resource's range ``[lo, hi]`` (index columns) is compared with the search value's range
``[ql, qh]`` following FHIR R4 3.1.1.4.2:

* eq: the search range contains the resource range; ne: it does not
* gt / lt: the range above / below the search value overlaps the resource range
* ge / le: gt / lt, or eq
* sa / eb: the resource range lies wholly after / before the search range
* ap: the ranges overlap once the search range is widened by about 10%
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

Prefix = Literal["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]
PREFIXES: tuple[Prefix, ...] = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
APPROXIMATION = Decimal("0.1")

Bind = Callable[[Any], str]


def split_prefix(text: str) -> tuple[Prefix, str]:
    """Take a leading prefix off a date/number/quantity value; no prefix means ``eq``.

    Two letters that are not a prefix, followed by a digit, are rejected here, so that the message
    names the prefix rather than calling the whole value an invalid number or date.
    """
    head = text[:2]
    for prefix in PREFIXES:
        if head == prefix:
            return prefix, text[2:]
    if head.isalpha() and head.isascii() and text[2:3].isdigit():
        raise ValueError(f"unknown prefix {head!r} in {text!r}: expected one of {', '.join(PREFIXES)}")
    return "eq", text


def range_sql(prefix: Prefix, lo: str, hi: str, ql: Any, qh: Any, bind: Bind) -> str:
    """SQL comparing the index columns ``lo``/``hi`` with the search range; values are bound."""
    if prefix == "eq":
        return f"({lo} >= {bind(ql)} AND {hi} <= {bind(qh)})"
    if prefix == "ne":
        return f"({lo} < {bind(ql)} OR {hi} > {bind(qh)})"
    if prefix == "gt":
        return f"{hi} > {bind(qh)}"
    if prefix == "lt":
        return f"{lo} < {bind(ql)}"
    if prefix == "ge":
        return f"({hi} > {bind(qh)} OR ({lo} >= {bind(ql)} AND {hi} <= {bind(qh)}))"
    if prefix == "le":
        return f"({lo} < {bind(ql)} OR ({lo} >= {bind(ql)} AND {hi} <= {bind(qh)}))"
    if prefix == "sa":
        return f"{lo} > {bind(qh)}"
    if prefix == "eb":
        return f"{hi} < {bind(ql)}"
    return f"({lo} <= {bind(qh)} AND {hi} >= {bind(ql)})"  # ap, on a range already widened


_EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


def widen_dates(low: datetime, high: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The ``ap`` range of a date: 10% of the gap between now and the date, either way."""
    gap = max(abs(now - low), abs(now - high))
    margin = timedelta(seconds=gap.total_seconds() * float(APPROXIMATION))
    wide_low = low - margin if low - _EARLIEST > margin else _EARLIEST
    wide_high = high + margin if _LATEST - high > margin else _LATEST
    return wide_low, wide_high


def widen_numbers(low: Decimal, high: Decimal, value: Decimal) -> tuple[Decimal, Decimal]:
    """The ``ap`` range of a number: 10% of the value either way (never narrower than its precision)."""
    margin = abs(value) * APPROXIMATION
    return min(low, value - margin), max(high, value + margin)
