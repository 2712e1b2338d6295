"""Parse the OR-ed values of one parameter according to its type; bad values become precise 400s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caremesh.fhir.definitions import Definitions, SearchParamDef
from caremesh.fhir.search.criteria import invalid, not_supported
from caremesh.fhir.search.params import or_values, split_unescaped, unescape
from caremesh.fhir.search.prefixes import split_prefix, widen_dates, widen_numbers
from caremesh.fhir.search.sql_reference import is_url
from caremesh.fhir.search.values import (
    DateRange,
    NumberRange,
    QuantityValue,
    parse_date,
    parse_number,
    parse_of_type,
    parse_quantity,
    parse_reference,
    parse_token,
)

# What the composite index rows keep (see storage.index_rows): a first component that is a token
# or a reference, a second of one of these types, and an optional third that is a number.
COMPOSITE_FIRST = ("token", "reference")
COMPOSITE_SECOND = ("token", "quantity", "date", "string", "number")
COMPOSITE_THIRD = ("number",)


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
    if kind == "uri" and modifier in ("above", "below") and not is_url(unescape(text)):
        shown = unescape(text)[:80]
        raise ValueError(f":{modifier} walks the path of a URL; {shown!r} is not one (a URN has no path)")
    if kind == "string" or kind == "uri" or (kind == "token" and modifier == "text"):
        return unescape(text)
    if kind == "token" and modifier == "of-type":
        return parse_of_type(text)
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


def composite_types(param: SearchParamDef, definitions: Definitions) -> tuple[str, ...] | None:
    """The component types of a composite the index can answer, else None."""
    kinds = []
    for component in param.components:
        definition = definitions.by_url.get(component.definition)
        kinds.append(definition.type if definition else "unknown")
    allowed = (COMPOSITE_FIRST, COMPOSITE_SECOND, COMPOSITE_THIRD)
    if len(kinds) in (2, 3) and all(kind in allowed[i] for i, kind in enumerate(kinds)):
        return tuple(kinds)
    return None


def _composite(text: str, param: SearchParamDef, ctx: ValueContext) -> tuple[Any, ...]:
    kinds = composite_types(param, ctx.definitions)
    assert kinds is not None  # checked when the modifier/param was accepted
    parts = split_unescaped(text, "$")
    if len(parts) != len(kinds):
        raise ValueError(
            f"invalid composite value {text!r}: expected {len(kinds)} components joined by '$'"
        )
    return tuple(_simple(kind, part, None, param, ctx) for kind, part in zip(kinds, parts, strict=True))


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
