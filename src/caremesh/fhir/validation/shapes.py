"""Per-definition facts the content walk needs, compiled once: complex children, embedded
resources, aligned primitive arrays, required primitives and choice groups."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from caremesh.fhir.validation.schema import target_of


@dataclass(eq=False)
class Shape:
    name: str
    children: dict[str, Shape] = field(default_factory=dict)
    embedded: frozenset[str] = frozenset()  # whole resources: contained, Bundle.entry.resource, ...
    aligned: tuple[str, ...] = ()  # repeating primitives whose `_name` twin may hold their extensions
    required: tuple[str, ...] = ()
    choice_of: dict[str, str] = field(default_factory=dict)  # property (and its `_` twin) -> group
    required_choices: tuple[str, ...] = ()


def load_elements() -> dict[str, Any]:
    """The R4 facts the JSON schema lacks (see generate_elements.py)."""
    data = resources.files("caremesh.fhir.validation").joinpath("r4_elements.json").read_bytes()
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def _choice_map(choices: dict[str, list[str]]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for group, keys in choices.items():
        for key in keys:
            mapping[key] = group
            mapping[f"_{key}"] = group
    return mapping


def build_shapes(defs: dict[str, Any], elements: dict[str, Any]) -> dict[str, Shape]:
    shapes = {name: Shape(name) for name, d in defs.items() if "properties" in d}
    for name, shape in shapes.items():
        properties = defs[name]["properties"]
        embedded, aligned = set(), []
        for key, prop in properties.items():
            target = target_of(prop)
            if target == "ResourceList":
                embedded.add(key)
            elif target in shapes:
                shape.children[key] = shapes[target]
            elif prop.get("type") == "array" and f"_{key}" in properties:
                aligned.append(key)
        shape.embedded, shape.aligned = frozenset(embedded), tuple(aligned)
        facts = elements.get(name, {})
        shape.required = tuple(facts.get("required", ()))
        shape.choice_of = _choice_map(facts.get("choices", {}))
        shape.required_choices = tuple(facts.get("required_choices", ()))
    return shapes
