"""The building blocks shared by the FHIRPath compiler, its operators and its functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Node = tuple[Any, str]  # (JSON value, FHIR type name)
Fn = Callable[[list[Node], dict[str, Any]], list[Node]]  # (focus, root resource) -> nodes

# The static type of resolve()'s result: only a type test may follow it (we index, we do not fetch).
RESOLVED = "@resolved"


class FhirPathCompileError(ValueError):
    """The expression uses FHIRPath this compiler does not support, or names unknown elements."""


@dataclass(frozen=True, slots=True)
class Compiled:
    fn: Fn
    types: frozenset[str]  # every type a node of the result can have


def empty(focus: list[Node], root: dict[str, Any]) -> list[Node]:
    return []


def identity(focus: list[Node], root: dict[str, Any]) -> list[Node]:
    return focus


EMPTY = Compiled(empty, frozenset())


def chain(first: Fn, second: Fn) -> Fn:
    """``second`` applied to ``first``'s result (skipped when that result is empty)."""
    if first is identity:
        return second
    if second is identity:
        return first

    def chained(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        nodes = first(focus, root)
        return second(nodes, root) if nodes else nodes

    return chained


def filter_types(accepted: frozenset[str]) -> Fn:
    def keep(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        return [node for node in focus if node[1] in accepted]

    return keep


def boolean_node(value: bool | None) -> list[Node]:
    return [] if value is None else [(value, "boolean")]


def singleton_boolean(nodes: list[Node]) -> bool | None:
    """FHIRPath's singleton evaluation: empty -> None; one boolean -> it; one other item -> True."""
    if len(nodes) != 1:
        return None
    value = nodes[0][0]
    return value if type(value) is bool else True
