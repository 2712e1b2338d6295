"""Resolve one query parameter (name and value) into a :mod:`criteria` object, or say why not."""

from __future__ import annotations

from caremesh.fhir.definitions import SearchParamDef
from caremesh.fhir.search.criteria import (
    Chain,
    Criterion,
    Has,
    IdFilter,
    LastUpdated,
    Leaf,
    Missing,
    Scope,
    UnknownParameter,
    invalid,
    not_supported,
)
from caremesh.fhir.search.identifier_params import holds_identifiers
from caremesh.fhir.search.leaf_values import ValueContext, parse_missing, parse_values
from caremesh.fhir.search.lookup import lookup_param
from caremesh.fhir.search.params import ParamName, or_values, parse_name, unescape

MODIFIERS: dict[str, tuple[str, ...]] = {
    "string": ("exact", "contains"),
    "token": ("not", "text", "of-type"),
    "uri": ("above", "below"),
    # References given only by Reference.identifier are indexed as tokens under the same code.
    "reference": ("identifier",),
}
_SUBSUMPTION = (
    "on a token asks whether codes are subsumed in their code system's hierarchy, which needs a "
    "terminology service; this server has none (:above and :below are supported on uri parameters)"
)
UNSUPPORTED: dict[str, str] = {
    "in": "value set expansion needs a terminology service; this server has none",
    "not-in": "value set expansion needs a terminology service; this server has none",
    "above": f":above {_SUBSUMPTION}",
    "below": f":below {_SUBSUMPTION}",
}


def resolve(ctx: ValueContext, scope: Scope, name: str, value: str) -> Criterion | None:
    """The criterion for ``name=value`` on ``scope``; ``None`` when the value is empty (ignored)."""
    if name.startswith("_has:"):
        return _has(ctx, scope, name, value)
    parsed = parse_name(name)
    if parsed is None:
        raise UnknownParameter(f"'{name}' is not a valid parameter name")
    if parsed.code == "_id" and not parsed.chain:
        return _ids(name, parsed, value)
    if parsed.code == "_lastUpdated" and not parsed.chain:
        return _last_updated(ctx, name, parsed, value)
    param = lookup_param(ctx.definitions, scope, parsed.code)
    if parsed.chain:
        return _chain(ctx, param, parsed, name, value)
    if parsed.modifier == "missing":
        return Missing(param, parse_missing(name, value))
    _check_modifier(ctx, param, parsed.modifier, name)
    if parsed.modifier == "of-type" and not holds_identifiers(ctx.definitions, scope or (), param):
        raise invalid(name, f":of-type applies to parameters of Identifiers; {param.code} holds none")
    values = parse_values(name, param, parsed.modifier, value, ctx)
    return Leaf(param, parsed.modifier, values) if values else None


def _ids(name: str, parsed: ParamName, value: str) -> IdFilter | None:
    if parsed.modifier not in (None, "not"):
        raise invalid(name, f"unknown modifier :{parsed.modifier} for _id")
    ids = tuple(unescape(v) for v in or_values(value) if v)
    return IdFilter(ids, negate=parsed.modifier == "not") if ids else None


def _last_updated(ctx: ValueContext, name: str, parsed: ParamName, value: str) -> LastUpdated | None:
    if parsed.modifier is not None:
        raise invalid(name, f"unknown modifier :{parsed.modifier} for _lastUpdated")
    param = lookup_param(ctx.definitions, None, "_lastUpdated")
    values = parse_values(name, param, None, value, ctx)
    return LastUpdated(values) if values else None


def _check_modifier(ctx: ValueContext, param: SearchParamDef, modifier: str | None, name: str) -> None:
    if modifier is None or modifier in MODIFIERS.get(param.type, ()):
        return
    if param.type == "reference" and modifier in ctx.definitions.resource_types:
        if param.targets and modifier not in param.targets:
            raise invalid(name, f"{modifier} is not a target type of {param.code}")
        return
    if modifier in UNSUPPORTED:
        raise not_supported(name, UNSUPPORTED[modifier])
    raise invalid(name, f"unknown modifier :{modifier} for a {param.type} parameter")


def _chain_targets(
    ctx: ValueContext, param: SearchParamDef, modifier: str | None, name: str
) -> tuple[str, ...]:
    if param.type != "reference":
        raise invalid(name, f"{param.code} is a {param.type} parameter and cannot be chained")
    if modifier is None:
        return param.targets or tuple(sorted(ctx.definitions.resource_types))
    _check_modifier(ctx, param, modifier, name)
    if modifier not in ctx.definitions.resource_types:
        raise invalid(name, f"a chain needs a resource type modifier, not :{modifier}")
    return (modifier,)


def _chain(
    ctx: ValueContext, param: SearchParamDef, parsed: ParamName, name: str, value: str
) -> Criterion | None:
    targets = _chain_targets(ctx, param, parsed.modifier, name)
    inner_name = ".".join(code if mod is None else f"{code}:{mod}" for code, mod in parsed.chain)
    resolved: list[tuple[str, Criterion]] = []
    for target in targets:
        try:
            inner = resolve(ctx, (target,), inner_name, value)
        except UnknownParameter:
            continue
        if inner is None:
            return None
        resolved.append((target, inner))
    if not resolved:
        raise UnknownParameter(f"'{name}': no target of {param.code} has a parameter '{parsed.chain[0][0]}'")
    return Chain(param, tuple(resolved))


def _has(ctx: ValueContext, scope: Scope, name: str, value: str) -> Has | None:
    parts = name.split(":", 3)
    if len(parts) != 4 or parts[1] not in ctx.definitions.resource_types:
        raise invalid(name, "expected _has:Type:reference:parameter")
    source_type, ref_code, rest = parts[1], parts[2], parts[3]
    ref = ctx.definitions.param(source_type, ref_code)
    if ref is None or ref.type != "reference":
        raise invalid(name, f"{ref_code} is not a reference parameter of {source_type}")
    if scope is not None and ref.targets and not set(scope) & set(ref.targets):
        raise invalid(name, f"{source_type}.{ref_code} cannot refer to {', '.join(scope)}")
    inner = resolve(ctx, (source_type,), rest, value)
    return Has(source_type, ref, inner) if inner is not None else None
