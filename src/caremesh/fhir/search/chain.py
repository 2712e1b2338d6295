"""Chained (``subject:Patient.name=``) and reverse-chained (``_has:Observation:patient:code=``) search.

Both become nested id sets: the resources of one type matching the inner criterion, joined to the
outer ones through the reference index. Nesting gives multi-level chains for free.
"""

from __future__ import annotations

from collections.abc import Callable

from caremesh.fhir.search.criteria import Chain, Criterion, Has, Scope
from caremesh.fhir.search.sql_common import Binder, any_of, members

CriterionSql = Callable[[str, Scope, Criterion, Binder], str]


def id_set(res_type: str, criterion: Criterion, b: Binder, inner: CriterionSql) -> str:
    """SELECT the ids of live ``res_type`` resources that match ``criterion``."""
    x = b.alias("x")
    return (
        f"SELECT {x}.res_id FROM fhir_resource {x} WHERE {x}.res_type = {b(res_type)} "
        f"AND {x}.deleted = 0 AND {inner(x, (res_type,), criterion, b)}"
    )


def chain_sql(alias: str, scope: Scope, chain: Chain, b: Binder, inner: CriterionSql) -> str:
    def targets(s: str) -> str:
        return any_of(
            [
                f"({s}.target_type = {b(target)} AND {s}.target_id IN ({id_set(target, crit, b, inner)}))"
                for target, crit in chain.targets
            ]
        )

    return members(alias, scope, "fhir_sp_reference", chain.param.code, targets, b)


def has_sql(alias: str, scope: Scope, has: Has, b: Binder, inner: CriterionSql) -> str:
    s = b.alias()
    sources = id_set(has.source_type, has.inner, b, inner)
    where = f"{s}.res_type = {b(has.source_type)} AND {s}.param = {b(has.param.code)}"
    where += f" AND {s}.res_id IN ({sources})"
    if scope is not None and len(scope) == 1:
        where += f" AND {s}.target_type = {b(scope[0])}"
        return f"{alias}.res_id IN (SELECT {s}.target_id FROM fhir_sp_reference {s} WHERE {where})"
    return (
        f"({alias}.res_type, {alias}.res_id) IN "
        f"(SELECT {s}.target_type, {s}.target_id FROM fhir_sp_reference {s} WHERE {where})"
    )
