"""Normal forms shared by indexing and search: strings, date ranges, decimal ranges.

Dates become closed UTC intervals ``[low, high]`` at microsecond resolution: ``2020`` covers the
whole year, ``2020-03-15T10:20:30Z`` the whole second. A date or dateTime written without a
timezone (partial dates never have one; FHIR requires one on a dateTime with a time, but not every
client sends it) is read as UTC.

Decimals become their implicit-precision interval: ``1.5`` -> ``[1.45, 1.55]``, ``100`` ->
``[99.5, 100.5]``. The precision comes from the digits as written. Resources parsed with orjson hold
JSON decimals as floats; ``repr(float)`` gives back the shortest text that reads as the same
float, which is the JSON text unless it ended in zeros (``1.50`` comes back as ``1.5``, widening
the interval to the precision actually written without them). To keep trailing zeros exactly, parse
the body with ``parse_exact`` (stdlib json, ``parse_float=Decimal``), which is slower.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

MIN_DATE = datetime(1, 1, 1, tzinfo=UTC)
MAX_DATE = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
# Open ends of a numeric interval (a Range without a low, a Quantity with comparator "<").
MIN_NUMBER = Decimal("-1E+30")
MAX_NUMBER = Decimal("1E+30")

_FINEST_EXPONENT = -30
# Wide enough that the bounds of any indexable number are exact; absurd search values saturate
# to infinity instead of raising.
_EXACT = Context(prec=100, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation])

DateRange = tuple[datetime, datetime]
_ONE_MICROSECOND = timedelta(microseconds=1)
_DATE = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def normalize_string(value: str) -> str:
    """Case-folded, accents removed, whitespace collapsed: what string search compares."""
    if value.isascii():
        return " ".join(value.lower().split())
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def _calendar_range(year: int, month: str | None, day: str | None) -> DateRange:
    if month is None:
        low = datetime(year, 1, 1, tzinfo=UTC)
        end = datetime(year + 1, 1, 1, tzinfo=UTC) if year < 9999 else None
    elif day is None:
        low = datetime(year, int(month), 1, tzinfo=UTC)
        next_month = (year + 1, 1) if int(month) == 12 else (year, int(month) + 1)
        end = datetime(*next_month, 1, tzinfo=UTC) if next_month[0] <= 9999 else None
    else:
        low = datetime(year, int(month), int(day), tzinfo=UTC)
        end = low + timedelta(days=1) if low.date() < MAX_DATE.date() else None
    return low, (end - _ONE_MICROSECOND if end is not None else MAX_DATE)


def _time_range(groups: tuple[str | None, ...]) -> DateRange:
    year, month, day, hour, minute, second, fraction, zone = groups
    micros = int((fraction or "")[:6].ljust(6, "0"))
    local = datetime(
        int(year or 0),
        int(month or 0),
        int(day or 0),
        int(hour or 0),
        int(minute or 0),
        min(int(second or 0), 59),
        micros,
        tzinfo=_zone(zone),
    )
    if second is None:
        width = timedelta(minutes=1)
    elif not fraction:
        width = timedelta(seconds=1)
    else:
        width = timedelta(microseconds=10 ** (6 - min(len(fraction), 6)))
    low = local.astimezone(UTC)
    return low, low + width - _ONE_MICROSECOND


@lru_cache(maxsize=65536)
def date_range(text: str) -> DateRange | None:
    """The interval a date, dateTime or instant covers; None when the text is not one."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    groups = match.groups()
    try:
        if groups[3] is None:
            return _calendar_range(int(groups[0]), groups[1], groups[2])
        return _time_range(groups)
    except (ValueError, OverflowError):
        return None


def period_range(period: dict[str, Any]) -> DateRange | None:
    """A Period: from its start's low to its end's high; a missing end is open."""
    start, end = period.get("start"), period.get("end")
    low = date_range(start) if isinstance(start, str) else None
    high = date_range(end) if isinstance(end, str) else None
    if low is None and high is None:
        return None
    return (low[0] if low else MIN_DATE), (high[1] if high else MAX_DATE)


def timing_range(timing: dict[str, Any]) -> DateRange | None:
    """A Timing: from its earliest event (or bounds start) to its latest event (or bounds end)."""
    ranges = [r for e in timing.get("event") or () if isinstance(e, str) and (r := date_range(e))]
    repeat = timing.get("repeat")
    bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
    if isinstance(bounds, dict) and (found := period_range(bounds)) is not None:
        ranges.append(found)
    if not ranges:
        return None
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def to_decimal(value: Any) -> Decimal | None:
    """A JSON number (int, float, or Decimal from ``parse_exact``) as a Decimal; None otherwise.

    Numbers outside ``(MIN_NUMBER, MAX_NUMBER)`` or finer than ``1E-30`` are not indexed: no
    clinical value needs them, and inside that window both databases store every digit.
    """
    kind = type(value)
    if kind is Decimal:
        number = value
    elif kind is int:
        number = Decimal(value)
    elif kind is float:
        number = Decimal(repr(value))
    elif kind is str:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return None
    else:
        return None
    if not number.is_finite() or not MIN_NUMBER < number < MAX_NUMBER:
        return None
    exponent = number.as_tuple().exponent
    return number if isinstance(exponent, int) and exponent >= _FINEST_EXPONENT else None


def decimal_range(value: Decimal) -> tuple[Decimal, Decimal]:
    """The implicit-precision interval: half a unit of the last written digit either side."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # infinity or NaN: no digits to take a precision from
        return value, value
    half = Decimal((0, (5,), exponent - 1))
    return _EXACT.subtract(value, half), _EXACT.add(value, half)


def parse_exact(body: bytes | str) -> Any:
    """Parse JSON keeping every decimal's written digits (``1.50`` stays ``Decimal('1.50')``)."""
    return json.loads(body, parse_float=Decimal)
