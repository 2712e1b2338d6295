"""The content walk: what the JSON schema cannot express, checked along the resource's shape.

Required primitives (present as ``name`` or as ``_name`` with extensions), choice elements
(``value[x]``: at most one, and one when required), aligned primitive arrays, reference syntax and
the invariants of ``invariants.py``. Embedded resources are collected for the validator, which
checks each as its own type. Values of the wrong JSON type are skipped: the schema reports them.
"""

from __future__ import annotations

from typing import Any

from caremesh.fhir.outcome import Issue
from caremesh.fhir.validation.describe import choice_name
from caremesh.fhir.validation.invariants import CHECKS
from caremesh.fhir.validation.references import ReferenceScope, reference_problem
from caremesh.fhir.validation.shapes import Shape


class ContentWalk:
    def __init__(self, scope: ReferenceScope, issues: list[Issue]) -> None:
        self.scope = scope
        self.issues = issues
        self.embedded: list[tuple[str, str, Any]] = []  # (location, property, resource or list of them)

    def node(self, node: dict[str, Any], shape: Shape, location: str) -> None:
        check = CHECKS.get(shape.name)
        if check is not None and (issue := check(node, location)) is not None:
            self.issues.append(issue)
        if shape.name == "Reference":
            self._reference(node, location)
        for key, value in node.items():
            child = shape.children.get(key)
            if child is not None:
                self._child(value, child, f"{location}.{key[1:] if key[0] == '_' else key}")
            elif key in shape.embedded:
                self.embedded.append((f"{location}.{key}", key, value))
        if shape.required:
            self._required(node, shape, location)
        if shape.choice_of:
            self._choices(node, shape, location)
        for name in shape.aligned:
            if name in node or f"_{name}" in node:
                self._aligned(node, name, location)

    def _child(self, value: Any, shape: Shape, location: str) -> None:
        if isinstance(value, dict):
            self.node(value, shape, location)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    self.node(item, shape, f"{location}[{index}]")

    def _reference(self, node: dict[str, Any], location: str) -> None:
        value = node.get("reference")
        if isinstance(value, str) and (problem := reference_problem(value, self.scope)):
            self.issues.append(
                Issue(code="invalid", diagnostics=problem, expression=(f"{location}.reference",))
            )

    def _required(self, node: dict[str, Any], shape: Shape, location: str) -> None:
        for name in shape.required:
            if name not in node and f"_{name}" not in node:
                text = f"Missing required element '{name}'"
                self.issues.append(
                    Issue(code="required", diagnostics=text, expression=(f"{location}.{name}",))
                )

    def _choices(self, node: dict[str, Any], shape: Shape, location: str) -> None:
        present: dict[str, set[str]] = {}
        for key in node:
            group = shape.choice_of.get(key)
            if group is not None:
                present.setdefault(group, set()).add(key.lstrip("_"))
        for group, keys in present.items():
            if len(keys) > 1:
                text = f"Only one {choice_name(group)} is allowed, found {', '.join(sorted(keys))}"
                self.issues.append(
                    Issue(code="structure", diagnostics=text, expression=(f"{location}.{group}",))
                )
        for group in shape.required_choices:
            if group not in present:
                text = f"Missing required element '{choice_name(group)}'"
                self.issues.append(
                    Issue(code="required", diagnostics=text, expression=(f"{location}.{group}",))
                )

    def _aligned(self, node: dict[str, Any], name: str, location: str) -> None:
        """``given: ["A", null]`` with ``_given: [null, {...}]``: nulls only keep the arrays aligned."""
        values, extras = node.get(name), node.get(f"_{name}")
        values = values if isinstance(values, list) else []
        extras = extras if isinstance(extras, list) else []
        if None not in values and None not in extras and (not values or not extras):
            return
        if values and extras and len(values) != len(extras):
            text = f"'{name}' and '_{name}' must have the same number of items"
            self.issues.append(Issue(code="structure", diagnostics=text, expression=(f"{location}.{name}",)))
            return
        for index in range(max(len(values), len(extras))):
            value = values[index] if index < len(values) else None
            extra = extras[index] if index < len(extras) else None
            if value is None and extra is None:
                text = "An item needs a value or extensions (null in both arrays)"
                where = f"{location}.{name}[{index}]"
                self.issues.append(Issue(code="structure", diagnostics=text, expression=(where,)))
