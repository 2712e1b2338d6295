"""FHIRPath operators: ``|``, ``=``, ``!=``, ``and``, ``or``, and the type operators ``is``/``as``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from caremesh.fhir.indexing.fhirpath_core import (
    EMPTY,
    RESOLVED,
    Compiled,
    Fn,
    Node,
    boolean_node,
    chain,
    filter_types,
    singleton_boolean,
)
from caremesh.fhir.indexing.fhirpath_parser import Binary

if TYPE_CHECKING:
    from caremesh.fhir.indexing.fhirpath import Compiler

BOOLEAN = frozenset({"boolean"})


def _items_equal(left: Any, right: Any) -> bool:
    # Python's True == 1 is not FHIRPath's: a boolean only equals a boolean.
    if (type(left) is bool) != (type(right) is bool):
        return False
    return bool(left == right)


def _equals(left: list[Node], right: list[Node]) -> bool | None:
    if not left or not right:
        return None
    if len(left) != len(right):
        return False
    return all(_items_equal(a[0], b[0]) for a, b in zip(left, right, strict=True))


def _union(left: Fn, right: Fn) -> Fn:
    def union(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        first = left(focus, root)
        second = right(focus, root)
        if not first:
            return second
        if not second:
            return first
        merged = list(first)
        merged.extend(node for node in second if node not in first)
        return merged

    return union


def _equality(left: Fn, right: Fn, negate: bool) -> Fn:
    def equality(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        result = _equals(left(focus, root), right(focus, root))
        return boolean_node(result if result is None or not negate else not result)

    return equality


def _and(left: Fn, right: Fn) -> Fn:
    def both(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        first = singleton_boolean(left(focus, root))
        if first is False:
            return boolean_node(False)
        second = singleton_boolean(right(focus, root))
        if second is False:
            return boolean_node(False)
        return boolean_node(True if first and second else None)

    return both


def _or(left: Fn, right: Fn) -> Fn:
    def either(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        first = singleton_boolean(left(focus, root))
        if first is True:
            return boolean_node(True)
        second = singleton_boolean(right(focus, root))
        if second is True:
            return boolean_node(True)
        return boolean_node(False if first is False and second is False else None)

    return either


def compile_binary(compiler: Compiler, tree: Binary, context: Compiled) -> Compiled:
    left = compiler.node(tree.left, context)
    right = compiler.node(tree.right, context)
    if tree.op == "|":
        if not left.types:
            return right
        if not right.types:
            return left
        return Compiled(_union(left.fn, right.fn), left.types | right.types)
    if tree.op in ("=", "!="):
        return Compiled(_equality(left.fn, right.fn, negate=tree.op == "!="), BOOLEAN)
    if tree.op == "and":
        return Compiled(_and(left.fn, right.fn), BOOLEAN)
    if tree.op == "or":
        return Compiled(_or(left.fn, right.fn), BOOLEAN)
    raise compiler.fail(f"unsupported operator {tree.op!r}")


def _is_test(accepted: frozenset[str]) -> Fn:
    def is_type(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        return boolean_node(focus[0][1] in accepted) if len(focus) == 1 else []

    return is_type


def compile_type_test(compiler: Compiler, op: str, source: Compiled, type_name: str) -> Compiled:
    """``is`` -> boolean; ``as`` and ``ofType()`` -> the nodes of that type (or a subtype)."""
    canonical = compiler.model.canonical_type(type_name)
    if canonical is None:
        raise compiler.fail(f"unknown type {type_name!r}")
    accepted = compiler.model.accepted_types(canonical)
    if op == "is":
        return Compiled(chain(source.fn, _is_test(accepted)), BOOLEAN) if source.types else EMPTY
    if RESOLVED in source.types:
        # A resolved reference keeps its marker type: a path must not walk into the Reference as if
        # it were the target resource.
        return Compiled(chain(source.fn, filter_types(accepted)), source.types)
    matching = source.types & accepted
    if not matching:
        return EMPTY
    if matching == source.types:
        return source
    return Compiled(chain(source.fn, filter_types(matching)), matching)
