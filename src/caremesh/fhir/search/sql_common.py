"""Shared SQL plumbing: bound parameters, table names, and "is this resource in that index set".

Every value reaches the database as a bound parameter (``$n``); only identifiers chosen by this
package (table names, aliases, fixed column names) are ever part of the SQL text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from caremesh.fhir.search.criteria import Scope

TABLES = {
    "string": "fhir_sp_string",
    "token": "fhir_sp_token",
    "date": "fhir_sp_date",
    "number": "fhir_sp_number",
    "quantity": "fhir_sp_quantity",
    "reference": "fhir_sp_reference",
    "uri": "fhir_sp_uri",
    "composite": "fhir_sp_composite",
}

ValueSql = Callable[[str], str]  # index-table alias -> condition on its columns


class Binder:
    """Collects bound arguments and hands out their ``$n`` placeholders and unique aliases."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.args: list[Any] = []
        self._aliases = 0

    def __call__(self, value: Any) -> str:
        if isinstance(value, Decimal) and self.dialect == "sqlite":
            value = float(value)  # SQLite keeps index numbers as REAL and cannot bind Decimal
        self.args.append(value)
        return f"${len(self.args)}"

    def many(self, values: Iterable[Any]) -> str:
        return ", ".join(self(v) for v in values)

    def alias(self, stem: str = "s") -> str:
        self._aliases += 1
        return f"{stem}{self._aliases}"


def _scope_filter(s: str, scope: Scope, b: Binder) -> str:
    if scope is None:
        return ""
    if len(scope) == 1:
        return f"{s}.res_type = {b(scope[0])} AND "
    return f"{s}.res_type IN ({b.many(scope)}) AND "


def members(alias: str, scope: Scope, table: str, code: str, value_sql: ValueSql | None, b: Binder) -> str:
    """``alias`` (a fhir_resource row) has an index row of ``code`` in ``table`` matching ``value_sql``.

    A single type filters the index on (res_type, param) first and compares ids only, which is
    what the lookup indexes are built for.
    """
    s = b.alias()
    where = _scope_filter(s, scope, b) + f"{s}.param = {b(code)}"
    if value_sql is not None:
        where += f" AND ({value_sql(s)})"
    if scope is not None and len(scope) == 1:
        return f"{alias}.res_id IN (SELECT {s}.res_id FROM {table} {s} WHERE {where})"
    pairs = f"SELECT {s}.res_type, {s}.res_id FROM {table} {s} WHERE {where}"
    return f"({alias}.res_type, {alias}.res_id) IN ({pairs})"


def lacks(alias: str, table: str, code: str, value_sql: ValueSql | None, b: Binder) -> str:
    """``alias`` has no index row of ``code`` in ``table`` (matching ``value_sql`` when given)."""
    s = b.alias()
    where = f"{s}.res_type = {alias}.res_type AND {s}.res_id = {alias}.res_id AND {s}.param = {b(code)}"
    if value_sql is not None:
        where += f" AND ({value_sql(s)})"
    return f"NOT EXISTS (SELECT 1 FROM {table} {s} WHERE {where})"


def any_of(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
