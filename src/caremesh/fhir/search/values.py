"""Typed search values: dates and numbers become closed intervals ``[low, high]`` like the index.

A date covers its whole period (``2020-03`` is all of March) and a decimal its implicit precision
(``1.5`` is ``[1.45, 1.55]``), matching :mod:`caremesh.fhir.indexing.entries`. Every parser raises
``ValueError`` with a message fit for an OperationOutcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from caremesh.fhir.indexing.normalize import date_range, decimal_range
from caremesh.fhir.search.params import split_unescaped, unescape
from caremesh.fhir.storage.index_rows import indexed_text

_DECIMAL = re.compile(r"^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$")


@dataclass(frozen=True)
class DateRange:
    low: datetime
    high: datetime


@dataclass(frozen=True)
class NumberRange:
    value: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class TokenValue:
    """``code``, ``system|code``, ``|code`` (no system) or ``system|`` (any code of the system)."""

    code: str | None
    system: str | None = None
    system_given: bool = False  # a "|" was present: the system must equal ``system`` (None = absent)


@dataclass(frozen=True)
class OfTypeValue:
    """``:of-type``: ``type-system|type-code|value`` of an Identifier (Identifier.type.coding, .value)."""

    type_system: str
    type_code: str
    value: str


@dataclass(frozen=True)
class QuantityValue:
    number: NumberRange
    system: str | None
    code: str | None


@dataclass(frozen=True)
class ReferenceValue:
    """A local reference (``target_type`` may be unknown when only an id was given) or a URL."""

    target_type: str | None = None
    target_id: str | None = None
    url: str | None = None


def parse_date(text: str) -> DateRange:
    """A FHIR date, dateTime or instant (any precision) as the closed UTC interval it covers.

    The same reading as indexing (``normalize.date_range``): a value without a timezone is UTC.
    """
    found = date_range(text)
    if found is None:
        raise ValueError(
            f"invalid date {text!r}: expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][zone]"
        )
    return DateRange(*found)


def parse_number(text: str) -> NumberRange:
    """A decimal with its implicit precision: half a unit of its last significant digit either way."""
    if not _DECIMAL.match(text):
        raise ValueError(f"invalid number {text!r}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"invalid number {text!r}") from None
    low, high = decimal_range(value)
    return NumberRange(value, low, high)


def parse_token(text: str) -> TokenValue:
    pieces = split_unescaped(text, "|")
    if len(pieces) == 1:
        return TokenValue(code=indexed_text(unescape(pieces[0]) or None))
    if len(pieces) != 2:
        raise ValueError(f"invalid token {text!r}: expected [system|]code")
    system, code = (unescape(p) or None for p in pieces)
    if system is None and code is None:
        raise ValueError(f"invalid token {text!r}: a system or a code is needed")
    # The index keeps the first INDEXED_TEXT_BYTES of a token; a longer value is compared as cut.
    return TokenValue(code=indexed_text(code), system=indexed_text(system), system_given=True)


def parse_of_type(text: str) -> OfTypeValue:
    """All three parts must be present (FHIR R4 3.1.1.5.5)."""
    pieces = [unescape(p) for p in split_unescaped(text, "|")]
    if len(pieces) != 3 or not all(pieces):
        raise ValueError(
            f"invalid :of-type value {text!r}: expected type-system|type-code|value, all three given"
        )
    type_system, type_code, value = (indexed_text(p) or "" for p in pieces)
    return OfTypeValue(type_system, type_code, value)


def parse_quantity(text: str) -> QuantityValue:
    """``number[|system|code]`` (the prefix already removed); an empty system matches any system."""
    pieces = split_unescaped(text, "|")
    if len(pieces) not in (1, 3):
        raise ValueError(f"invalid quantity {text!r}: expected [prefix]number[|system|code]")
    number = parse_number(unescape(pieces[0]))
    if len(pieces) == 1:
        return QuantityValue(number=number, system=None, code=None)
    return QuantityValue(number=number, system=unescape(pieces[1]) or None, code=unescape(pieces[2]) or None)


def parse_reference(
    text: str, *, base_url: str, type_modifier: str | None, resource_types: frozenset[str]
) -> ReferenceValue:
    """``Type/id``, ``id``, ``[base]/Type/id[/_history/v]`` (local) or any other absolute URL."""
    value = unescape(text)
    if not value:
        raise ValueError("invalid reference: empty value")
    base = base_url.rstrip("/") + "/"
    local = value.removeprefix(base) if value.startswith(base) else value
    segments = local.split("/")
    if len(segments) in (2, 4) and segments[0] in resource_types and segments[1]:
        if len(segments) == 4 and segments[2] != "_history":
            return ReferenceValue(url=value)
        if type_modifier is not None and type_modifier != segments[0]:
            raise ValueError(f"reference {value!r} contradicts the type modifier :{type_modifier}")
        return ReferenceValue(target_type=segments[0], target_id=segments[1])
    if "/" in local or ":" in local:
        return ReferenceValue(url=value)
    return ReferenceValue(target_type=type_modifier, target_id=local)
