"""The R4 JSON schema made strict and R4-only, compiled with jsonschema-rs.

The published schema is lenient in ways that matter on write: complex types do not say they are
objects (a string where a HumanName belongs passes), ``integer`` is any number, empty arrays and
objects pass, and the bundled copy carries a vendor's extra properties. It is also unusable as is
for embedded resources (a ``oneOf`` over every type gives one useless error), so ``ResourceList``
only demands an object here and the validator checks each embedded resource as its own type.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from typing import Any

import jsonschema_rs

NULLABLE_SUFFIX = "_or_null"
CALENDAR_FORMAT = "fhir-calendar"
_BASE = "urn:caremesh:fhir-r4"
_YEAR_MONTH_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}
_INTEGERS = {
    "integer": {"type": "integer", **_INT32},
    "positiveInt": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    "unsignedInt": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
}


def is_calendar_date(text: str) -> bool:
    """The patterns allow 2021-02-30; "Dates SHALL be valid dates". Other shapes pass here: the
    pattern reports them."""
    match = _YEAR_MONTH_DAY.match(text)
    if match is None:
        return True
    try:
        date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return False
    return True


def _drop_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        # Only the documentation strings: elements called "description" are properties (objects).
        return {
            k: _drop_descriptions(v)
            for k, v in node.items()
            if not (k == "description" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_drop_descriptions(v) for v in node]
    return node


def target_of(prop: dict[str, Any]) -> str | None:
    ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def _reachable(definitions: dict[str, Any], roots: frozenset[str]) -> set[str]:
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for prop in definitions[name].get("properties", {}).values():
            target = target_of(prop)
            if target and target not in seen:
                pending.append(target)
    return seen


def _patch_primitives(defs: dict[str, Any]) -> None:
    for name, rule in _INTEGERS.items():
        defs[name] = dict(rule)
    # Patterns on non-strings are ignored by JSON Schema; on a string they only repeat the type error.
    defs["decimal"] = {"type": "number"}
    defs["boolean"] = {"type": "boolean"}
    defs["xhtml"] = {"type": "string", "minLength": 1}
    defs["ResourceList"] = {"type": "object"}
    for name in ("date", "dateTime", "instant"):
        defs[name]["format"] = CALENDAR_FORMAT


def _primitive_named_by(key: str, primitives: set[str]) -> str | None:
    """``valueDateTime`` -> ``dateTime``: the longest capitalised tail naming a primitive type."""
    for index, char in enumerate(key):
        if char.isupper() and (name := char.lower() + key[index + 1 :]) in primitives:
            return name
    return None


def _share_primitives(defs: dict[str, Any], primitives: set[str]) -> None:
    """Choice elements spell their primitive out inline (a lenient copy: ``valueInteger`` is any
    number); point them at the one strict definition, which also names the type in errors."""
    for definition in defs.values():
        for key, prop in definition.get("properties", {}).items():
            if "type" in prop and prop["type"] != "array" and "enum" not in prop and "const" not in prop:
                name = _primitive_named_by(key, primitives)
                if name is not None:
                    definition["properties"][key] = {"$ref": f"#/definitions/{name}"}


def _allow_aligned_nulls(defs: dict[str, Any], primitives: set[str]) -> None:
    """A repeating primitive with a ``_name`` twin may hold nulls to keep both arrays aligned."""
    for definition in list(defs.values()):
        properties = definition.get("properties", {})
        for key, prop in properties.items():
            target = target_of(prop)
            if prop.get("type") != "array" or target not in primitives or f"_{key}" not in properties:
                continue
            prop["items"] = {"$ref": f"#/definitions/{target}{NULLABLE_SUFFIX}"}
            properties[f"_{key}"]["items"] = {"$ref": f"#/definitions/Element{NULLABLE_SUFFIX}"}
    for name in (*primitives, "Element"):
        nullable = copy.deepcopy(defs[name])
        nullable["type"] = [nullable["type"], "null"]
        defs[f"{name}{NULLABLE_SUFFIX}"] = nullable


def _forbid_empty(defs: dict[str, Any]) -> None:
    """Complex types are objects; FHIR JSON has no empty objects or arrays."""
    for definition in defs.values():
        if "properties" in definition:
            definition["type"] = "object"
            definition["minProperties"] = 1
            for prop in definition["properties"].values():
                if prop.get("type") == "array":
                    prop["minItems"] = 1


def r4_definitions(
    schema: dict[str, Any], resource_types: frozenset[str], not_r4: dict[str, list[str]]
) -> dict[str, Any]:
    """The schema's definitions used by the R4 resource types, made strict."""
    source = schema["definitions"]
    primitives = {name for name, d in source.items() if "properties" not in d and "oneOf" not in d}
    names = _reachable(source, resource_types) | primitives  # choice elements inline some primitives
    defs = {name: _drop_descriptions(source[name]) for name in names}
    for name, keys in not_r4.items():
        for key in keys:
            defs[name]["properties"].pop(key, None)
            defs[name]["properties"].pop(f"_{key}", None)
    _patch_primitives(defs)
    _share_primitives(defs, primitives)
    _forbid_empty(defs)
    _allow_aligned_nulls(defs, primitives)
    return defs


def compile_schema(defs: dict[str, Any], resource_types: frozenset[str]) -> jsonschema_rs.Draft7Validator:
    """One validator for every type, dispatching on resourceType: the definitions are compiled once
    and shared (a validator per type would compile the common datatypes again for each)."""
    registry = jsonschema_rs.Registry(
        [(_BASE, {"$schema": "http://json-schema.org/draft-07/schema#", "definitions": defs})]
    )
    dispatch = [
        {"if": {"properties": {"resourceType": {"const": t}}}, "then": {"$ref": f"{_BASE}#/definitions/{t}"}}
        for t in sorted(resource_types)
    ]
    return jsonschema_rs.Draft7Validator(
        {"allOf": dispatch},
        registry=registry,
        formats={CALENDAR_FORMAT: is_calendar_date},
        validate_formats=True,
    )
