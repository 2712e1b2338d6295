"""Compile the FHIRPath subset used by R4 search parameters into plain Python closures.

A compiled expression is a function ``(focus, root) -> nodes`` where a node is ``(json_value,
fhir_type)``. Types are worked out while compiling, from the schema (``TypeModel``): navigating to
``Observation.value`` looks at exactly the keys ``valueQuantity``, ``valueString``, ... and tags
each value with its type, so ``ofType(Period)`` is a set-membership test at run time. Paths that
start with another resource type (``Patient.x | Group.y`` compiled for a Group) compile away.

Supported: paths, ``|``, ``=``/``!=``, ``and``/``or``, ``is``/``as``, indexers with an integer,
``%resource``/``$this``, and the functions in ``fhirpath_functions``. Anything else raises
``FhirPathCompileError`` naming the construct and the expression: every expression is compiled
when the indexer is built, so nothing unsupported is discovered while indexing a resource.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from caremesh.fhir.indexing.fhir_types import DYNAMIC_RESOURCE, ElementKeys, TypeModel
from caremesh.fhir.indexing.fhirpath_core import (
    EMPTY,
    RESOLVED,
    Compiled,
    FhirPathCompileError,
    Fn,
    Node,
    chain,
    filter_types,
    identity,
)
from caremesh.fhir.indexing.fhirpath_functions import compile_call
from caremesh.fhir.indexing.fhirpath_operators import compile_binary, compile_type_test
from caremesh.fhir.indexing.fhirpath_parser import (
    Binary,
    Call,
    Expr,
    FhirPathSyntaxError,
    Index,
    Literal,
    Member,
    TypeTest,
    Unary,
    Variable,
    parse,
)


def _step_one(key: str, element_type: str) -> Fn:
    """Navigation where every focus node has the same type and the element has one key."""

    def step(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        out: list[Node] = []
        for value, _ in focus:
            found = value.get(key) if type(value) is dict else None
            if found is None:
                continue
            if type(found) is list:
                out.extend([(item, element_type) for item in found if item is not None])
            else:
                out.append((found, element_type))
        return out

    return step


def _step_table(table: dict[str, ElementKeys]) -> Fn:
    """Navigation by the node's type: for each type, the keys (and their types) to read."""

    def step(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        out: list[Node] = []
        for value, node_type in focus:
            keys = table.get(node_type)
            if keys is None or type(value) is not dict:
                continue
            for key, element_type in keys:
                found = value.get(key)
                if found is None:
                    continue
                if type(found) is list:
                    out.extend([(item, element_type) for item in found if item is not None])
                else:
                    out.append((found, element_type))
        return out

    return step


def _retype_resources(focus: list[Node], root: dict[str, Any]) -> list[Node]:
    return [
        (value, value.get("resourceType", DYNAMIC_RESOURCE))
        if node_type == DYNAMIC_RESOURCE
        else (value, node_type)
        for value, node_type in focus
        if type(value) is dict
    ]


def _narrowing_type(call: Call) -> str | None:
    """The type named by ``ofType(T)``/``as(T)``, which lets the preceding step skip other keys."""
    if call.name in ("ofType", "as") and len(call.args) == 1 and isinstance(call.args[0], Member):
        return call.args[0].name
    return None


def _narrowed(table: dict[str, ElementKeys], only: frozenset[str]) -> dict[str, ElementKeys]:
    narrowed = {
        source_type: tuple((key, t) for key, t in keys if t in only or t == DYNAMIC_RESOURCE)
        for source_type, keys in table.items()
    }
    return {source_type: keys for source_type, keys in narrowed.items() if keys}


class Compiler:
    """Compiles expressions against the R4 type model; one instance serves every expression."""

    def __init__(self, model: TypeModel) -> None:
        self.model = model

    def compile(self, expression: str, context_types: frozenset[str], root_type: str) -> Compiled:
        try:
            tree = parse(expression)
        except FhirPathSyntaxError as error:
            raise FhirPathCompileError(str(error)) from error
        self.expression = expression
        self.root_type = root_type
        return self.node(tree, Compiled(identity, context_types))

    def fail(self, message: str) -> FhirPathCompileError:
        return FhirPathCompileError(f"{message} in FHIRPath {self.expression!r}")

    def node(self, tree: Expr, context: Compiled) -> Compiled:
        """Compile ``tree`` evaluated on ``context``'s result."""
        if isinstance(tree, Member):
            return self.member(tree, context)
        if isinstance(tree, Call):
            return compile_call(self, tree, self.source(tree.source, context, _narrowing_type(tree)))
        if isinstance(tree, Binary):
            return compile_binary(self, tree, context)
        if isinstance(tree, TypeTest):
            source = self.source(tree.source, context, tree.type_name if tree.op == "as" else None)
            return compile_type_test(self, tree.op, source, tree.type_name)
        if isinstance(tree, Index):
            return self.index(tree, context)
        if isinstance(tree, Literal):
            literal: list[Node] = [(tree.value, tree.type)]
            return Compiled(lambda focus, root: literal, frozenset({tree.type}))
        if isinstance(tree, Variable):
            return self.variable(tree.name, context)
        if isinstance(tree, Unary):
            raise self.fail(f"unsupported unary operator {tree.op!r}")
        raise self.fail(f"unsupported construct {type(tree).__name__}")

    def source(self, tree: Expr | None, context: Compiled, narrow_to: str | None) -> Compiled:
        """The input of a function or type operator; ``x.value.ofType(T)`` reads only ``valueT``."""
        if tree is None:
            return context
        if narrow_to is not None and isinstance(tree, Member):
            canonical = self.model.canonical_type(narrow_to)
            if canonical is not None:
                return self.member(tree, context, self.model.accepted_types(canonical))
        return self.node(tree, context)

    def member(self, tree: Member, context: Compiled, only: frozenset[str] | None = None) -> Compiled:
        source = context if tree.source is None else self.node(tree.source, context)
        if not source.types:
            return EMPTY
        self.reject_resolved(source.types, f"navigation to {tree.name!r}")
        table = {t: keys for t in source.types if (keys := self.model.element(t, tree.name))}
        if not table:
            if tree.source is None and self.model.is_type_name(tree.name):
                return self.type_filter(tree.name, source)
            raise self.fail(f"unknown element {tree.name!r} on {sorted(source.types)}")
        if only is not None:
            table = _narrowed(table, only)
            if not table:
                return EMPTY
        types = frozenset(element_type for keys in table.values() for _, element_type in keys)
        if len(source.types) == 1 and len(next(iter(table.values()))) == 1:
            ((key, element_type),) = next(iter(table.values()))
            step = _step_one(key, element_type)
        else:
            step = _step_table(table)
        if DYNAMIC_RESOURCE in types:
            step = chain(step, _retype_resources)
            types = (types - {DYNAMIC_RESOURCE}) | self.model.resource_types
        return Compiled(chain(source.fn, step), types)

    def type_filter(self, name: str, source: Compiled) -> Compiled:
        """``Observation`` starting a path: keeps the focus only where it is an Observation."""
        matching = frozenset(t for t in source.types if self.model.matches_type_filter(t, name))
        if not matching:
            return EMPTY
        if matching == source.types:
            return source
        return Compiled(chain(source.fn, filter_types(matching)), matching)

    def index(self, tree: Index, context: Compiled) -> Compiled:
        if not (isinstance(tree.index, Literal) and tree.index.type == "integer"):
            raise self.fail("only integer literal indexers are supported")
        position = int(tree.index.value)
        source = self.node(tree.source, context)

        def pick(focus: list[Node], root: dict[str, Any]) -> list[Node]:
            return focus[position : position + 1]

        return Compiled(chain(source.fn, pick), source.types)

    def variable(self, name: str, context: Compiled) -> Compiled:
        if name == "$this":
            return context
        if name in ("%resource", "%rootResource"):
            root_type = self.root_type

            def root_node(focus: list[Node], root: dict[str, Any]) -> list[Node]:
                return [(root, root_type)]

            return Compiled(root_node, frozenset({root_type}))
        raise self.fail(f"unsupported variable {name!r}")

    def reject_resolved(self, types: frozenset[str], what: str) -> None:
        if RESOLVED in types:
            raise self.fail(f"{what} after resolve() is not supported (only type tests are)")


def compile_expression(
    expression: str, resource_type: str, model: TypeModel
) -> Callable[[dict[str, Any]], list[Node]]:
    """A callable ``resource -> nodes`` for an expression evaluated on a resource of one type."""
    fn = Compiler(model).compile(expression, frozenset({resource_type}), resource_type).fn

    def evaluate(resource: dict[str, Any]) -> list[Node]:
        return fn([(resource, resource_type)], resource)

    return evaluate
