"""``_sort``: several keys, ``-`` for descending; a parameter sorts by its lowest value ascending and its
highest descending. Ties always fall back to type and id, so pages are stable."""

from __future__ import annotations

from caremesh.fhir.search.control import SortKey
from caremesh.fhir.search.sql_common import TABLES, Binder

# The index column a parameter type sorts on, ascending and descending.
_COLUMNS = {
    "string": ("value", "value"),
    "token": ("code", "code"),
    "date": ("low", "high"),
    "number": ("value", "value"),
    "quantity": ("value", "value"),
    "reference": ("target_id", "target_id"),
    "uri": ("value", "value"),
}


def _key_sql(alias: str, key: SortKey, b: Binder) -> str:
    if key.code == "_id":
        return f"{alias}.res_id"
    if key.code == "_lastUpdated":
        return f"{alias}.last_updated"
    assert key.param is not None
    column = _COLUMNS[key.param.type][1 if key.descending else 0]
    aggregate = "MAX" if key.descending else "MIN"
    s = b.alias("o")
    return (
        f"(SELECT {aggregate}({s}.{column}) FROM {TABLES[key.param.type]} {s} "
        f"WHERE {s}.res_type = {alias}.res_type AND {s}.res_id = {alias}.res_id "
        f"AND {s}.param = {b(key.code)})"
    )


def order_by(alias: str, keys: list[SortKey], b: Binder) -> str:
    """The ORDER BY clause; resources without a value come last in both directions."""
    terms = [f"{_key_sql(alias, k, b)} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in keys]
    terms += [f"{alias}.res_type", f"{alias}.res_id"]
    return "ORDER BY " + ", ".join(terms)
