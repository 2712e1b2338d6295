"""The element types of R4, read from the bundled JSON schema, for typing FHIRPath navigation.

FHIR JSON spells a choice element with its type as a suffix (``valueQuantity``,
``effectiveDateTime``); the schema lists every such key, so navigating to ``value`` yields one
candidate key per allowed type, each with its type known before any resource is seen.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

# A Bundle entry's or a contained resource: its type is read from resourceType when navigated.
DYNAMIC_RESOURCE = "ResourceList"
# Profiles of Quantity that FHIRPath's ofType(Quantity) must also accept.
_QUANTITY_PROFILES = frozenset({"Age", "Count", "Distance", "Duration", "SimpleQuantity", "MoneyQuantity"})
_ABSTRACT_RESOURCES = frozenset({"Resource", "DomainResource"})

ElementKeys = tuple[tuple[str, str], ...]  # (JSON key, FHIR type) pairs for one element name


def _property_type(spec: dict[str, Any], key: str, known: dict[str, Any]) -> str | None:
    target = spec.get("items", spec)
    ref = target.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    if "enum" in target:
        return "code"
    if "pattern" in target or "type" in target:
        return _choice_suffix_type(key, known)
    return None  # resourceType's const: not an element


def _choice_suffix_type(key: str, known: dict[str, Any]) -> str | None:
    """``effectiveDateTime`` -> ``dateTime``: the type whose capitalised name ends the key."""
    for start in range(1, len(key)):
        if key[start].isupper():
            suffix = key[start:]
            for candidate in (suffix, suffix[0].lower() + suffix[1:]):
                if candidate in known:
                    return candidate
    return None


class TypeModel:
    """Element lookup by (type, element name) over the R4 JSON schema."""

    def __init__(self, schema: dict[str, Any], resource_types: frozenset[str]) -> None:
        self._definitions: dict[str, Any] = schema.get("definitions", {})
        self.resource_types = resource_types
        self._cache: dict[tuple[str, str], ElementKeys] = {}

    @cached_property
    def _properties(self) -> dict[str, dict[str, str]]:
        known = self._definitions
        table: dict[str, dict[str, str]] = {}
        for name, definition in known.items():
            props: dict[str, str] = {}
            for key, spec in definition.get("properties", {}).items():
                if key.startswith("_") or not isinstance(spec, dict):
                    continue
                element_type = _property_type(spec, key, known)
                if element_type is not None:
                    props[key] = element_type
            table[name] = props
        return table

    def element(self, type_name: str, name: str) -> ElementKeys:
        """The JSON keys that hold element ``name`` of ``type_name`` (several for a choice)."""
        cache_key = (type_name, name)
        found = self._cache.get(cache_key)
        if found is None:
            found = self._lookup(type_name, name)
            self._cache[cache_key] = found
        return found

    def _lookup(self, type_name: str, name: str) -> ElementKeys:
        props = self._properties.get(type_name, {})
        if name in props:
            return ((name, props[name]),)
        size = len(name)
        return tuple(
            (key, element_type)
            for key, element_type in props.items()
            if len(key) > size
            and key.startswith(name)
            and key[size].isupper()
            and key[size:] in (element_type, element_type[0].upper() + element_type[1:])
        )

    def canonical_type(self, name: str) -> str | None:
        """The schema's spelling of a type named in an expression (``DateTime`` -> ``dateTime``)."""
        if name in _ABSTRACT_RESOURCES:
            return name
        for candidate in (name, name[0].lower() + name[1:]):
            if candidate in self._definitions:
                return candidate
        return None

    def accepted_types(self, canonical: str) -> frozenset[str]:
        """The node types that satisfy ``is``/``ofType`` of a canonical type name."""
        if canonical in _ABSTRACT_RESOURCES:
            return self.resource_types
        if canonical == "Quantity":
            return _QUANTITY_PROFILES | {canonical}
        return frozenset({canonical})

    def is_type_name(self, name: str) -> bool:
        return name in _ABSTRACT_RESOURCES or name in self.resource_types

    def matches_type_filter(self, node_type: str, name: str) -> bool:
        """Whether a path that starts with type ``name`` applies to a focus of ``node_type``."""
        if name in _ABSTRACT_RESOURCES:
            return node_type in self.resource_types
        return node_type == name
