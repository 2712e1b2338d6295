"""Parse the OR-ed values of one parameter according to its type; bad values become precise 400s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caremesh.fhir.definitions import Definitions, SearchParamDef
from caremesh.fhir.search.criteria import invalid, not_supported
from caremesh.fhir.search.params import or_values, split_unescaped, unescape
from caremesh.fhir.search.prefixes import split_prefix, widen_dates, widen_numbers
from caremesh.fhir.search.values import (
    DateRange,
    NumberRange,
    QuantityValue,
    parse_date,
    parse_number,
    parse_quantity,
    parse_reference,
    parse_token,
)

# Composite index rows keep a token first component and a second of one of these types.
COMPOSITE_SECOND = ("token", "quantity", "date", "string", "number")


@dataclass(frozen=True)
class ValueContext:
    definitions: Definitions
    base_url: str
    now: datetime


def _dated(text: str, now: datetime) -> tuple[str, DateRange]:
    prefix, rest = split_prefix(text)
    found = parse_date(unescape(rest))
    if prefix == "ap":
        return prefix, DateRange(*widen_dates(found.low, found.high, now))
    return prefix, found


def _numbered(text: str) -> tuple[str, NumberRange]:
    prefix, rest = split_prefix(text)
    found = parse_number(unescape(rest))
    if prefix == "ap":
        low, high = widen_numbers(found.low, found.high, found.value)
        return prefix, NumberRange(found.value, low, high)
    return prefix, found


def _quantity(text: str) -> tuple[str, QuantityValue]:
    prefix, rest = split_prefix(text)
    found = parse_quantity(rest)
    if prefix == "ap":
        low, high = widen_numbers(found.number.low, found.number.high, found.number.value)
        found = QuantityValue(NumberRange(found.number.value, low, high), found.system, found.code)
    return prefix, found


def _simple(kind: str, text: str, modifier: str | None, param: SearchParamDef, ctx: ValueContext) -> Any:
    if kind == "string" or kind == "uri" or (kind == "token" and modifier == "text"):
        return unescape(text)
    if kind == "token" or (kind == "reference" and modifier == "identifier"):
        return parse_token(text)
    if kind == "date":
        return _dated(text, ctx.now)
    if kind == "number":
        return _numbered(text)
    if kind == "quantity":
        return _quantity(text)
    if kind == "reference":
        type_modifier = modifier if modifier in ctx.definitions.resource_types else None
        return parse_reference(
            text,
            base_url=ctx.base_url,
            type_modifier=type_modifier,
            resource_types=ctx.definitions.resource_types,
        )
    raise ValueError(f"parameters of type {kind} are not searchable")


def composite_types(param: SearchParamDef, definitions: Definitions) -> tuple[str, str] | None:
    """The component types of a composite the index can answer (token + one other), else None."""
    kinds = []
    for component in param.components:
        definition = definitions.by_url.get(component.definition)
        kinds.append(definition.type if definition else "unknown")
    if len(kinds) == 2 and kinds[0] == "token" and kinds[1] in COMPOSITE_SECOND:
        return kinds[0], kinds[1]
    return None


def _composite(text: str, param: SearchParamDef, ctx: ValueContext) -> tuple[Any, Any]:
    kinds = composite_types(param, ctx.definitions)
    assert kinds is not None  # checked when the modifier/param was accepted
    parts = split_unescaped(text, "$")
    if len(parts) != 2:
        raise ValueError(f"invalid composite value {text!r}: expected two components joined by '$'")
    return parse_token(parts[0]), _simple(kinds[1], parts[1], None, param, ctx)


def parse_values(
    name: str, param: SearchParamDef, modifier: str | None, value: str, ctx: ValueContext
) -> tuple[Any, ...]:
    """The non-empty OR-ed alternatives of ``value``, typed; raises a 400 FhirError naming ``name``."""
    if param.type == "composite" and composite_types(param, ctx.definitions) is None:
        raise not_supported(name, "this composite's components are not kept in the composite index")
    parsed: list[Any] = []
    for alternative in or_values(value):
        if alternative == "":
            continue
        try:
            if param.type == "composite":
                parsed.append(_composite(alternative, param, ctx))
            else:
                parsed.append(_simple(param.type, alternative, modifier, param, ctx))
        except ValueError as exc:
            raise invalid(name, str(exc)) from None
    return tuple(parsed)


def parse_missing(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise invalid(name, f":missing takes true or false, not {value!r}")
    return value == "true"
