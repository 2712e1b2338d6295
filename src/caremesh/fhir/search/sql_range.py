"""Date, number and quantity parameters: a prefix comparison of closed intervals (see prefixes)."""

from __future__ import annotations

from typing import cast

from caremesh.fhir.search.prefixes import Prefix, range_sql
from caremesh.fhir.search.sql_common import Binder
from caremesh.fhir.search.values import DateRange, NumberRange, QuantityValue


def date_sql(lo: str, hi: str, value: tuple[str, DateRange], b: Binder) -> str:
    prefix, found = value
    return range_sql(cast(Prefix, prefix), lo, hi, found.low, found.high, b)


def number_sql(lo: str, hi: str, value: tuple[str, NumberRange], b: Binder) -> str:
    prefix, found = value
    return range_sql(cast(Prefix, prefix), lo, hi, found.low, found.high, b)


def unit_sql(found: QuantityValue, system_col: str, code_col: str, unit_col: str | None, b: Binder) -> str:
    """No unit given: any unit. A code without a system also matches the human-readable unit."""
    parts = []
    if found.system is not None:
        parts.append(f"{system_col} = {b(found.system)}")
    if found.code is not None:
        code = b(found.code)
        if found.system is None and unit_col is not None:
            parts.append(f"({code_col} = {code} OR {unit_col} = {code})")
        else:
            parts.append(f"{code_col} = {code}")
    return " AND ".join(parts)


def quantity_sql(s: str, value: tuple[str, QuantityValue], b: Binder) -> str:
    prefix, found = value
    number = range_sql(cast(Prefix, prefix), f"{s}.low", f"{s}.high", found.number.low, found.number.high, b)
    unit = unit_sql(found, f"{s}.system", f"{s}.code", f"{s}.unit", b)
    return f"{number} AND {unit}" if unit else number
