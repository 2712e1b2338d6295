"""Composite parameters: every component matched on the SAME index row.

The composite row keeps the first component in ``c1_system``/``c1_code`` (a reference's target
type and id; its url in ``c1_text``), a third (a number) in ``c3_low``/``c3_high``, and the second in the
columns of its type: token (and a quantity's unit) in ``c2_system``/``c2_code`` (a quantity's written unit in
``c2_text``), string in ``c2_text`` (normalised), number and quantity in ``c2_low``/``c2_high``, date in
``c2_date_low``/``c2_date_high``.
"""

from __future__ import annotations

from typing import Any

from caremesh.fhir.search.sql_common import Binder
from caremesh.fhir.search.sql_range import date_sql, number_sql, unit_sql
from caremesh.fhir.search.sql_string import starts_with
from caremesh.fhir.search.sql_token import token_sql
from caremesh.fhir.search.text import normalize_string
from caremesh.fhir.search.values import DateRange, QuantityValue, ReferenceValue, TokenValue


def _second(s: str, second: Any, b: Binder) -> str:
    if isinstance(second, TokenValue):
        return token_sql(second, f"{s}.c2_system", f"{s}.c2_code", b)
    if isinstance(second, str):
        return starts_with(f"{s}.c2_text", normalize_string(second), b)
    prefix, found = second
    if isinstance(found, DateRange):
        return date_sql(f"{s}.c2_date_low", f"{s}.c2_date_high", second, b)
    if isinstance(found, QuantityValue):
        number = number_sql(f"{s}.c2_low", f"{s}.c2_high", (prefix, found.number), b)
        unit = unit_sql(found, f"{s}.c2_system", f"{s}.c2_code", f"{s}.c2_text", b)
        return f"{number} AND {unit}" if unit else number
    return number_sql(f"{s}.c2_low", f"{s}.c2_high", second, b)


def _first(s: str, first: TokenValue | ReferenceValue, b: Binder) -> str:
    if isinstance(first, TokenValue):
        return token_sql(first, f"{s}.c1_system", f"{s}.c1_code", b)
    if first.url is not None:
        return f"{s}.c1_text = {b(first.url)}"
    condition = f"{s}.c1_code = {b(first.target_id)}"
    if first.target_type is not None:
        condition += f" AND {s}.c1_system = {b(first.target_type)}"
    return condition


def composite_sql(s: str, value: tuple[Any, ...], b: Binder) -> str:
    first, second, *rest = value
    conditions = [_first(s, first, b), _second(s, second, b)]
    conditions += [number_sql(f"{s}.c3_low", f"{s}.c3_high", third, b) for third in rest]
    return " AND ".join(conditions)
