"""Generalisations Safe Harbor allows: dates to their year, ZIP codes to three digits (000 where
the three-digit area is small), ages over 89 to one "90+" group."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from importlib import resources

# FHIR date / dateTime / instant with at least a month: the values that say more than a year.
_DATE = re.compile(
    r"^(?P<year>\d{4})-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
    r"(T([01]\d|2[0-3]):[0-5]\d(:([0-5]\d|60)(\.\d+)?)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?)?)?$"
)
OLDEST_REPORTED_AGE = 89


def more_precise_than_year(value: str) -> bool:
    return _DATE.match(value) is not None


def year_of(value: str) -> str:
    return value[:4]


@cache
def restricted_zip3() -> frozenset[str]:
    text = resources.files("caremesh.fhir.deid").joinpath("data/restricted_zip3.json").read_text()
    return frozenset(json.loads(text)["zip3"])


def zip3(postal_code: str) -> str | None:
    """The first three digits of a US ZIP code, ``000`` for small areas, None when not a ZIP."""
    digits = postal_code.strip()
    if not re.fullmatch(r"\d{5}(-?\d{4})?", digits):
        return None
    prefix = digits[:3]
    return "000" if prefix in restricted_zip3() else prefix


def age_in_years(birth: str, on: date) -> int | None:
    """Completed years between a FHIR date (any precision) and ``on``; None when unknowable.
    A partial birth date counts from its earliest possible day, which can only overstate the
    age (erring towards the 90+ group, never away from it)."""
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", birth[:10])
    if match is None:
        return None
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    return on.year - year - ((on.month, on.day) < (month, day))
