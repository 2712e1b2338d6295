"""Token parameters: ``code``, ``system|code``, ``|code``, ``system|``, ``:text`` and ``:of-type``."""

from __future__ import annotations

from caremesh.fhir.search.sql_common import Binder
from caremesh.fhir.search.sql_string import starts_with
from caremesh.fhir.search.text import normalize_string
from caremesh.fhir.search.values import OfTypeValue, TokenValue


def token_sql(value: TokenValue, system_col: str, code_col: str, b: Binder) -> str:
    parts = []
    if value.code is not None:
        parts.append(f"{code_col} = {b(value.code)}")
    if value.system_given:
        parts.append(f"{system_col} IS NULL" if value.system is None else f"{system_col} = {b(value.system)}")
    return " AND ".join(parts) or "1 = 1"


def token_text_sql(text_col: str, value: str, b: Binder) -> str:
    """``:text``: the display/text starts with the value; indexing stores that text normalised."""
    return starts_with(text_col, normalize_string(value), b)


def of_type_sql(s: str, value: OfTypeValue, b: Binder) -> str:
    """``:of-type``: an identifier row with this value and one of its type codings equal to the given."""
    return (
        f"{s}.code = {b(value.value)} AND {s}.type_code = {b(value.type_code)} "
        f"AND {s}.type_system = {b(value.type_system)}"
    )
