"""The few R4 invariants checked on write: cheap, and wrong data here misleads clinicians.

* per-1  Period: start SHALL NOT be after end.
* rng-2  Range: low SHALL NOT be above high (when both carry the same unit).
* qty-3  Quantity (and Age, Count, Distance, Duration): a unit code needs its system.
* ext-1  Extension: either nested extensions or a value[x], not both, not neither.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from caremesh.fhir.outcome import Issue

_DATETIME = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6})\d*)?(Z|[+-]\d{2}:\d{2})?)?)?)?"
)
# A value without a time zone may be in any zone: widen it by the largest offset so that only a
# period that is wrong everywhere is rejected.
_ANY_ZONE = timedelta(hours=14)
_TICK = timedelta(microseconds=1)


def _zone(text: str | None) -> timedelta | None:
    if text is None:
        return None
    if text == "Z":
        return timedelta(0)
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))


def _partial_end(start: datetime, month: str | None, day: str | None) -> datetime:
    if day:
        return start + timedelta(days=1)
    if month:
        return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start.replace(year=start.year + 1)


def _bounds(text: str) -> tuple[datetime, datetime] | None:
    """The earliest and latest instant a date, dateTime or instant can denote (UTC)."""
    match = _DATETIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if hour is None:
            start = datetime(int(year), int(month or 1), int(day or 1), tzinfo=UTC)
            end = _partial_end(start, month, day) - _TICK
            return start - _ANY_ZONE, end + _ANY_ZONE
        micros = int((fraction or "0").ljust(6, "0"))
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), min(int(second), 59), micros, tzinfo=UTC
        )
        offset = _zone(zone)
        if offset is None:
            return local - _ANY_ZONE, local + _ANY_ZONE
        return local - offset, local - offset
    except (ValueError, OverflowError):
        return None  # an impossible date (Feb 30) or out of range: the schema check speaks for it


def _date_parts(text: str) -> tuple[int, ...] | None:
    """``2020-02`` -> (2020, 2): a date without a time, compared as FHIRPath does, part by part."""
    match = _DATETIME.fullmatch(text)
    if match is None or match.group(4) is not None:
        return None
    return tuple(int(part) for part in match.groups()[:3] if part is not None)


def _start_after_end(start: str, end: str) -> bool:
    start_parts, end_parts = _date_parts(start), _date_parts(end)
    if start_parts is not None and end_parts is not None:
        common = min(len(start_parts), len(end_parts))
        return start_parts[:common] > end_parts[:common]
    start_bounds, end_bounds = _bounds(start), _bounds(end)
    return start_bounds is not None and end_bounds is not None and start_bounds[0] > end_bounds[1]


def check_period(node: dict[str, Any], location: str) -> Issue | None:
    start, end = node.get("start"), node.get("end")
    if not (isinstance(start, str) and isinstance(end, str)) or not _start_after_end(start, end):
        return None
    return Issue(
        code="invariant", diagnostics="Period start is after its end (per-1)", expression=(location,)
    )


def _number(value: Any) -> float | None:
    return None if isinstance(value, bool) or not isinstance(value, int | float) else value


def check_range(node: dict[str, Any], location: str) -> Issue | None:
    low, high = node.get("low"), node.get("high")
    if not (isinstance(low, dict) and isinstance(high, dict)):
        return None
    if (low.get("code"), low.get("unit")) != (high.get("code"), high.get("unit")):
        return None  # comparing across units needs UCUM conversion: not a cheap check
    low_value, high_value = _number(low.get("value")), _number(high.get("value"))
    if low_value is None or high_value is None or low_value <= high_value:
        return None
    return Issue(code="invariant", diagnostics="Range low is above its high (rng-2)", expression=(location,))


def check_quantity(node: dict[str, Any], location: str) -> Issue | None:
    if "code" not in node or "system" in node:
        return None
    text = "A quantity with a unit code needs the code system, e.g. http://unitsofmeasure.org (qty-3)"
    return Issue(code="invariant", diagnostics=text, expression=(f"{location}.system",))


def check_extension(node: dict[str, Any], location: str) -> Issue | None:
    nested = "extension" in node
    valued = any(key.startswith(("value", "_value")) for key in node)
    if nested != valued:
        return None
    text = (
        "An extension has either nested extensions or a value[x], not both (ext-1)"
        if nested
        else "An extension needs a value[x] or nested extensions (ext-1)"
    )
    return Issue(code="invariant", diagnostics=text, expression=(location,))


Check = Callable[[dict[str, Any], str], "Issue | None"]

CHECKS: dict[str, Check] = {
    "Period": check_period,
    "Range": check_range,
    "Quantity": check_quantity,
    "Age": check_quantity,
    "Count": check_quantity,
    "Distance": check_quantity,
    "Duration": check_quantity,
    "Extension": check_extension,
}
