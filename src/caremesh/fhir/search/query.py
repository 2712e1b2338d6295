"""Parse a whole query string (a list of name/value pairs) against the definitions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.outcome import FhirError, Issue
from caremesh.fhir.search.cardinality import merge_ranges
from caremesh.fhir.search.control import (
    CONTROL_NAMES,
    MAX_COUNT,
    TRANSPORT_NAMES,
    Control,
    apply_control,
    parse_types,
)
from caremesh.fhir.search.criteria import Criterion, Scope, UnknownParameter, invalid
from caremesh.fhir.search.leaf_values import ValueContext
from caremesh.fhir.search.resolve import resolve

HANDLINGS = ("strict", "lenient")


@dataclass
class Query:
    resource_type: str | None
    scope: Scope
    criteria: list[Criterion] = field(default_factory=list)
    control: Control = field(default_factory=Control)
    issues: list[Issue] = field(default_factory=list)
    # The parameters that took effect, in the order given, for self/next/previous links.
    used: list[tuple[str, str]] = field(default_factory=list)


def _scope(definitions: Definitions, resource_type: str | None, params: list[tuple[str, str]]) -> Scope:
    if resource_type is not None:
        if resource_type not in definitions.resource_types:
            raise invalid("resourceType", f"unknown resource type {resource_type!r}")
        return (resource_type,)
    types: tuple[str, ...] = ()
    for name, value in params:
        if name == "_type":
            types += parse_types(definitions, value)
    return tuple(dict.fromkeys(types)) or None


def _unknown(query: Query, name: str, error: UnknownParameter, handling: str) -> None:
    if handling == "strict":
        diagnostics = f"Unknown or unsupported parameter {error}"
        raise FhirError(400, Issue(code="not-supported", diagnostics=diagnostics, expression=(name,)))
    query.issues.append(
        Issue(
            severity="warning",
            code="not-supported",
            diagnostics=f"Ignored parameter {error}",
            expression=(name,),
        )
    )


def _finish(query: Query) -> None:
    control = query.control
    if control.count > MAX_COUNT:
        diagnostics = f"_count={control.count} exceeds the maximum; {MAX_COUNT} used"
        query.issues.append(
            Issue(
                severity="information", code="informational", diagnostics=diagnostics, expression=("_count",)
            )
        )
        control.count = MAX_COUNT
    if control.elements is not None and control.summary not in (None, "false"):
        raise invalid("_elements", "_summary and _elements cannot be used together")


def parse_query(
    definitions: Definitions,
    resource_type: str | None,
    params: list[tuple[str, str]],
    *,
    base_url: str,
    handling: str,
    now: datetime,
) -> Query:
    if handling not in HANDLINGS:
        raise invalid("handling", f"expected strict or lenient, not {handling!r}")
    query = Query(resource_type, _scope(definitions, resource_type, params))
    ctx = ValueContext(definitions, base_url, now)
    for name, value in params:
        if name in TRANSPORT_NAMES or (name == "_type" and resource_type is None):
            query.used += [(name, value)] if name == "_type" else []
            continue
        try:
            if name in CONTROL_NAMES:
                apply_control(query.control, definitions, query.scope, name, value)
                if name not in ("_count", "_offset"):
                    query.used.append((name, value))
                continue
            criterion = resolve(ctx, query.scope, name, value)
        except UnknownParameter as error:
            _unknown(query, name, error, handling)
            continue
        if criterion is not None:
            query.criteria.append(criterion)
            query.used.append((name, value))
    _finish(query)
    query.criteria = merge_ranges(definitions, query.scope, query.criteria)
    return query
