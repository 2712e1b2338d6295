"""Compartment search (``Patient/123/Observation``, ``Patient/123/*``): the resources that refer to
the patient through one of the parameters the compartment definition names for their type."""

from __future__ import annotations

from collections import defaultdict

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.search.criteria import Scope, invalid, not_supported
from caremesh.fhir.search.sql_common import Binder


def compartment_scope(
    definitions: Definitions, compartment: tuple[str, str], scope: Scope
) -> tuple[str, ...]:
    """The types searched in the compartment: those asked for, all of which must belong to it."""
    kind = compartment[0]
    if kind != "Patient":
        raise not_supported("compartment", f"only the Patient compartment is defined, not {kind!r}")
    members = tuple(sorted(t for t in definitions.compartment if t in definitions.resource_types))
    if scope is None:
        return members
    outside = [t for t in scope if t not in definitions.compartment]
    if outside:
        raise invalid("compartment", f"{outside[0]} is not in the Patient compartment")
    return scope


def compartment_sql(
    alias: str, definitions: Definitions, scope: tuple[str, ...], patient_id: str, b: Binder
) -> str:
    """Types sharing the same linking parameters are grouped, so the SQL stays short for ``*``."""
    by_params: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for res_type in scope:
        by_params[definitions.compartment[res_type]].append(res_type)
    s = b.alias()
    patient = b(patient_id)
    links = " OR ".join(
        f"({s}.res_type IN ({b.many(types)}) AND {s}.param IN ({b.many(params)}))"
        for params, types in by_params.items()
    )
    referring = (
        f"({alias}.res_type, {alias}.res_id) IN (SELECT {s}.res_type, {s}.res_id FROM fhir_sp_reference {s} "
        f"WHERE {s}.target_id = {patient} AND {s}.target_type = {b('Patient')} AND ({links}))"
    )
    if "Patient" in scope:  # a patient is in its own compartment
        return f"(({alias}.res_type = {b('Patient')} AND {alias}.res_id = {patient}) OR {referring})"
    return referring
