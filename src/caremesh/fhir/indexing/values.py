"""Index entries from one FHIRPath result node, per search-parameter type and node type.

Token ``text`` values (Coding.display, CodeableConcept.text, Identifier.type.text) are stored
normalised with ``normalize_string``, since ``:text`` searches compare them like strings.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from caremesh.fhir.indexing.entries import (
    DateEntry,
    IndexEntry,
    NumberEntry,
    QuantityEntry,
    StringEntry,
    TokenEntry,
    UriEntry,
)
from caremesh.fhir.indexing.normalize import (
    MAX_NUMBER,
    MIN_NUMBER,
    DateRange,
    date_range,
    decimal_range,
    normalize_string,
    period_range,
    timing_range,
    to_decimal,
)

Converter = Callable[[str, Any], list[IndexEntry]]  # (param code, JSON value) -> entries

_HUMAN_NAME_PARTS = ("family", "given", "prefix", "suffix", "text")
_ADDRESS_PARTS = ("line", "city", "district", "state", "postalCode", "country", "text")
_CURRENCY_SYSTEM = "urn:iso:std:iso:4217"


def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None


def _normalized(value: Any) -> str | None:
    return normalize_string(value) if type(value) is str and value else None


def string_value(param: str, value: Any) -> list[IndexEntry]:
    return [StringEntry(param, normalize_string(value), value)] if type(value) is str and value else []


def _string_parts(parts: tuple[str, ...]) -> Converter:
    """HumanName / Address: every part is a value of its own (``given`` and ``line`` are lists)."""

    def convert(param: str, value: Any) -> list[IndexEntry]:
        if type(value) is not dict:
            return []
        out: list[IndexEntry] = []
        for part in parts:
            found = value.get(part)
            for item in found if type(found) is list else (found,):
                out.extend(string_value(param, item))
        return out

    return convert


STRING: dict[str, Converter] = {
    "string": string_value,
    "markdown": string_value,
    "HumanName": _string_parts(_HUMAN_NAME_PARTS),
    "Address": _string_parts(_ADDRESS_PARTS),
}


def _coding(param: str, value: dict[str, Any]) -> TokenEntry | None:
    system, code = _text(value.get("system")), _text(value.get("code"))
    if system is None and code is None:
        return None
    return TokenEntry(param, system, code, _normalized(value.get("display")))


def coding_value(param: str, value: Any) -> list[IndexEntry]:
    token = _coding(param, value) if type(value) is dict else None
    return [token] if token is not None else []


def _codeable_concept(param: str, value: Any) -> list[IndexEntry]:
    if type(value) is not dict:
        return []
    codings = value.get("coding")
    out = [_coding(param, c) for c in (codings if type(codings) is list else ()) if type(c) is dict]
    tokens = [token for token in out if token is not None]
    text = _normalized(value.get("text"))
    # The text gets an entry of its own unless a coding's display already says the same.
    if text is not None and not any(token.text == text for token in tokens):
        tokens.append(TokenEntry(param, None, None, text))
    return list(tokens)


def identifier_value(param: str, value: Any) -> list[IndexEntry]:
    if type(value) is not dict:
        return []
    system, code = _text(value.get("system")), _text(value.get("value"))
    if system is None and code is None:
        return []
    kind = value.get("type")
    if type(kind) is not dict:
        return [TokenEntry(param, system, code)]
    text = _normalized(kind.get("text"))
    # One entry per coded type, so that ``:of-type`` finds the identifier by any of its type codes.
    coded = [(_text(c.get("system")), _text(c["code"])) for c in _listed(kind.get("coding"))
             if type(c) is dict and _text(c.get("code")) is not None]  # fmt: skip
    if not coded:
        return [TokenEntry(param, system, code, text)]
    return [TokenEntry(param, system, code, text, type_system, type_code) for type_system, type_code in coded]


def _listed(value: Any) -> list[Any]:
    return value if type(value) is list else []


def _contact_point(param: str, value: Any) -> list[IndexEntry]:
    # The spec's token table gives ContactPoint no system: ContactPoint.system (phone, email) is
    # what the phone/email parameters select on, not a namespace of the value.
    found = _text(value.get("value")) if type(value) is dict else None
    return [TokenEntry(param, None, found)] if found is not None else []


def _primitive_token(param: str, value: Any) -> list[IndexEntry]:
    if type(value) is bool:
        return [TokenEntry(param, None, "true" if value else "false")]
    if type(value) is str and value:
        return [TokenEntry(param, None, value)]
    return []


TOKEN: dict[str, Converter] = {
    "Coding": coding_value,
    "CodeableConcept": _codeable_concept,
    "Identifier": identifier_value,
    "ContactPoint": _contact_point,
    **dict.fromkeys(
        ("code", "id", "string", "uri", "url", "canonical", "oid", "uuid", "boolean"), _primitive_token
    ),
}


def _dates(reader: Callable[[Any], DateRange | None], kind: type) -> Converter:
    def convert(param: str, value: Any) -> list[IndexEntry]:
        found = reader(value) if type(value) is kind else None
        return [DateEntry(param, found[0], found[1])] if found is not None else []

    return convert


DATE: dict[str, Converter] = {
    **dict.fromkeys(("date", "dateTime", "instant"), _dates(date_range, str)),
    "Period": _dates(period_range, dict),
    "Timing": _dates(timing_range, dict),
}


def _number(param: str, value: Any) -> list[IndexEntry]:
    number = to_decimal(value)
    if number is None:
        return []
    low, high = decimal_range(number)
    return [NumberEntry(param, number, low, high)]


def _number_range(param: str, value: Any) -> list[IndexEntry]:
    bounds = _range_bounds(value)
    return [NumberEntry(param, bounds[0], bounds[1], bounds[2])] if bounds is not None else []


def _range_bounds(value: Any) -> tuple[Decimal, Decimal, Decimal] | None:
    """A Range's (representative value, low, high): its low's low end to its high's high end."""
    if type(value) is not dict:
        return None
    low_side, high_side = value.get("low"), value.get("high")
    low = to_decimal(low_side.get("value")) if type(low_side) is dict else None
    high = to_decimal(high_side.get("value")) if type(high_side) is dict else None
    if low is None:
        return (high, MIN_NUMBER, decimal_range(high)[1]) if high is not None else None
    return low, decimal_range(low)[0], (decimal_range(high)[1] if high is not None else MAX_NUMBER)


NUMBER: dict[str, Converter] = {
    **dict.fromkeys(("decimal", "integer", "positiveInt", "unsignedInt"), _number),
    "Range": _number_range,
}


def _quantity(param: str, value: Any) -> list[IndexEntry]:
    number = to_decimal(value.get("value")) if type(value) is dict else None
    if number is None:
        return []
    low, high = decimal_range(number)
    comparator = value.get("comparator")
    if comparator in ("<", "<="):
        low = MIN_NUMBER
    elif comparator in (">", ">="):
        high = MAX_NUMBER
    system, code, unit = _text(value.get("system")), _text(value.get("code")), _text(value.get("unit"))
    return [QuantityEntry(param, system, code, unit, number, low, high)]


def _money(param: str, value: Any) -> list[IndexEntry]:
    number = to_decimal(value.get("value")) if type(value) is dict else None
    if number is None:
        return []
    low, high = decimal_range(number)
    currency = _text(value.get("currency"))
    return [
        QuantityEntry(param, _CURRENCY_SYSTEM if currency else None, currency, currency, number, low, high)
    ]


def _quantity_range(param: str, value: Any) -> list[IndexEntry]:
    bounds = _range_bounds(value)
    if bounds is None:
        return []
    side = value.get("low") if type(value.get("low")) is dict else value["high"]
    system, code, unit = _text(side.get("system")), _text(side.get("code")), _text(side.get("unit"))
    return [QuantityEntry(param, system, code, unit, *bounds)]


QUANTITY: dict[str, Converter] = {
    **dict.fromkeys(("Quantity", "Age", "Duration", "Count", "Distance", "SimpleQuantity"), _quantity),
    "Money": _money,
    "Range": _quantity_range,
}


def _uri(param: str, value: Any) -> list[IndexEntry]:
    return [UriEntry(param, value)] if type(value) is str and value else []


URI: dict[str, Converter] = dict.fromkeys(("uri", "url", "canonical", "oid", "uuid"), _uri)
