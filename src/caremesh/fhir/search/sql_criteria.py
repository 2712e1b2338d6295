"""Turn one criterion into a SQL condition on a ``fhir_resource`` alias (AND-ed by the caller)."""

from __future__ import annotations

from typing import Any

from caremesh.fhir.search.chain import chain_sql, has_sql
from caremesh.fhir.search.criteria import Chain, Criterion, Has, IdFilter, LastUpdated, Leaf, Missing, Scope
from caremesh.fhir.search.sql_common import TABLES, Binder, ValueSql, any_of, lacks, members
from caremesh.fhir.search.sql_composite import composite_sql
from caremesh.fhir.search.sql_range import date_sql, number_sql, quantity_sql
from caremesh.fhir.search.sql_reference import reference_sql, uri_sql
from caremesh.fhir.search.sql_string import string_sql
from caremesh.fhir.search.sql_token import of_type_sql, token_sql, token_text_sql


def _one_value(kind: str, modifier: str | None, s: str, value: Any, b: Binder) -> str:
    if kind == "string":
        return string_sql(s, modifier, value, b)
    if kind == "token":
        if modifier == "text":
            return token_text_sql(f"{s}.text", value, b)
        if modifier == "of-type":
            return of_type_sql(s, value, b)
        return token_sql(value, f"{s}.system", f"{s}.code", b)
    if kind == "date":
        return date_sql(f"{s}.low", f"{s}.high", value, b)
    if kind == "number":
        return number_sql(f"{s}.low", f"{s}.high", value, b)
    if kind == "quantity":
        return quantity_sql(s, value, b)
    if kind == "reference":
        return reference_sql(s, value, b)
    if kind == "uri":
        return uri_sql(s, modifier, value, b)
    return composite_sql(s, value, b)


def _kind(leaf: Leaf) -> str:
    """The index a leaf reads: ``reference:identifier`` reads the token rows of the same code."""
    return "token" if leaf.param.type == "reference" and leaf.modifier == "identifier" else leaf.param.type


def _values_sql(leaf: Leaf, b: Binder) -> ValueSql:
    def build(s: str) -> str:
        conditions = [_one_value(_kind(leaf), leaf.modifier, s, v, b) for v in leaf.values]
        return " AND ".join(f"({c})" for c in conditions) if leaf.same_row else any_of(conditions)

    return build


def leaf_sql(alias: str, scope: Scope, leaf: Leaf, b: Binder) -> str:
    table = TABLES[_kind(leaf)]
    if leaf.modifier == "not":  # also true of resources that have no value at all (FHIR R4 3.1.1.5.5)
        return lacks(alias, table, leaf.param.code, _values_sql(leaf, b), b)
    return members(alias, scope, table, leaf.param.code, _values_sql(leaf, b), b)


def criterion_sql(alias: str, scope: Scope, criterion: Criterion, b: Binder) -> str:
    if isinstance(criterion, Leaf):
        return leaf_sql(alias, scope, criterion, b)
    if isinstance(criterion, Missing):
        table = TABLES[criterion.param.type]
        if criterion.missing:
            return lacks(alias, table, criterion.param.code, None, b)
        return members(alias, scope, table, criterion.param.code, None, b)
    if isinstance(criterion, IdFilter):
        ids = f"{alias}.res_id IN ({b.many(criterion.ids)})"
        return f"NOT {ids}" if criterion.negate else ids
    if isinstance(criterion, LastUpdated):
        column = f"{alias}.last_updated"
        return any_of([date_sql(column, column, v, b) for v in criterion.values])
    if isinstance(criterion, Chain):
        return chain_sql(alias, scope, criterion, b, criterion_sql)
    assert isinstance(criterion, Has)
    return has_sql(alias, scope, criterion, b, criterion_sql)
