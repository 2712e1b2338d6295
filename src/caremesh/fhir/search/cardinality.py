"""Which parameters hold at most one value per resource, read from the R4 JSON schema.

Two AND-ed range conditions on such a parameter (``date=ge2020&date=lt2021``) must hold for the
same value anyway, so they can be tested on the same index row: one bounded index scan instead of
two unbounded ones intersected.
"""

from __future__ import annotations

import re
from typing import Any

from caremesh.fhir.definitions import Definitions, SearchParamDef
from caremesh.fhir.search.criteria import Criterion, Leaf

# "Type.a.b", optionally "(... .ofType(X))" or "(... as X)": a plain path the schema can answer.
_PATH = re.compile(r"^\(?\s*([A-Z][A-Za-z]*)((?:\.[a-z][A-Za-z]*)+)(?:\.ofType\(\w+\)|\s+as\s+\w+)?\s*\)?$")
_cache: dict[tuple[int, str, str], bool] = {}


def _candidates(properties: dict[str, Any], step: str) -> list[dict[str, Any]]:
    if step in properties:
        return [properties[step]]
    # A choice element value[x] is spelled valueQuantity, valueString, ... in JSON.
    return [v for k, v in properties.items() if k.startswith(step) and k[len(step) : len(step) + 1].isupper()]


def _walk(schema: dict[str, Any], type_name: str, steps: list[str]) -> bool:
    current = type_name
    for position, step in enumerate(steps):
        properties = schema.get("definitions", {}).get(current, {}).get("properties", {})
        candidates = _candidates(properties, step)
        if not candidates or any(c.get("type") == "array" for c in candidates):
            return False
        targets = {c.get("$ref", "").rsplit("/", 1)[-1] for c in candidates}
        if position < len(steps) - 1:
            if len(targets) != 1:
                return False
            current = targets.pop()
    return True


def single_valued(definitions: Definitions, resource_type: str, param: SearchParamDef) -> bool:
    key = (id(definitions), resource_type, param.code)
    if key not in _cache:
        parts = [p.strip() for p in (param.expression or "").split("|")]
        mine = [p for p in parts if p.lstrip("( ").startswith(f"{resource_type}.")]
        match = _PATH.match(mine[0]) if len(mine) == 1 else None
        _cache[key] = bool(match) and _walk(definitions.schema, resource_type, match[2].split(".")[1:])  # type: ignore[index]
    return _cache[key]


def _mergeable(definitions: Definitions, resource_type: str, leaf: Leaf) -> bool:
    return (
        leaf.param.type in ("date", "number", "quantity")
        and leaf.modifier is None
        and len(leaf.values) == 1
        and single_valued(definitions, resource_type, leaf.param)
    )


def merge_ranges(
    definitions: Definitions, scope: tuple[str, ...] | None, criteria: list[Criterion]
) -> list[Criterion]:
    """Fold AND-ed single-value range criteria on the same single-valued parameter into one."""
    if scope is None or len(scope) != 1:
        return criteria
    kept: list[Criterion] = []
    groups: dict[str, list[Leaf]] = {}
    for criterion in criteria:
        if isinstance(criterion, Leaf) and _mergeable(definitions, scope[0], criterion):
            groups.setdefault(criterion.param.code, []).append(criterion)
        else:
            kept.append(criterion)
    for leaves in groups.values():
        values = tuple(v for leaf in leaves for v in leaf.values)
        kept.append(leaves[0] if len(leaves) == 1 else Leaf(leaves[0].param, None, values, same_row=True))
    return kept
