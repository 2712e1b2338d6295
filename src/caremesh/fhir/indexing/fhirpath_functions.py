"""FHIRPath functions: where, exists, empty, not, first, last, count, ofType, is, as, resolve, extension."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from caremesh.fhir.indexing.fhirpath_core import (
    RESOLVED,
    Compiled,
    Node,
    boolean_node,
    chain,
    identity,
    singleton_boolean,
)
from caremesh.fhir.indexing.fhirpath_operators import BOOLEAN, compile_type_test
from caremesh.fhir.indexing.fhirpath_parser import Call, Literal, Member
from caremesh.fhir.indexing.references import reference_type

if TYPE_CHECKING:
    from caremesh.fhir.indexing.fhirpath import Compiler

_REFERENCE_TYPES = frozenset({"Reference", "canonical", "uri", "url"})


def _arity(compiler: Compiler, call: Call, count: int) -> None:
    if len(call.args) != count:
        raise compiler.fail(f"{call.name}() takes {count} argument(s), got {len(call.args)}")


def _where(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    _arity(compiler, call, 1)
    criteria = compiler.node(call.args[0], Compiled(identity, source.types)).fn

    def where(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        return [node for node in focus if singleton_boolean(criteria([node], root)) is True]

    return Compiled(chain(source.fn, where), source.types)


def _exists(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    if len(call.args) == 1:
        source = _where(compiler, call, source)
    else:
        _arity(compiler, call, 0)
    fn = source.fn

    def exists(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        return boolean_node(bool(fn(focus, root)))

    return Compiled(exists, BOOLEAN)


def _empty(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    _arity(compiler, call, 0)
    fn = source.fn

    def is_empty(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        return boolean_node(not fn(focus, root))

    return Compiled(is_empty, BOOLEAN)


def _not(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    _arity(compiler, call, 0)
    fn = source.fn

    def negate(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        value = singleton_boolean(fn(focus, root))
        return boolean_node(None if value is None else not value)

    return Compiled(negate, BOOLEAN)


def _slice(start: int, stop: int | None) -> Callable[[Compiler, Call, Compiled], Compiled]:
    def compile_slice(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
        _arity(compiler, call, 0)

        def pick(focus: list[Node], root: dict[str, Any]) -> list[Node]:
            return focus[start:stop]

        return Compiled(chain(source.fn, pick), source.types)

    return compile_slice


def _count(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    _arity(compiler, call, 0)
    fn = source.fn

    def count(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        return [(len(fn(focus, root)), "integer")]

    return Compiled(count, frozenset({"integer"}))


def _type_argument(compiler: Compiler, call: Call) -> str:
    _arity(compiler, call, 1)
    argument = call.args[0]
    if isinstance(argument, Member):  # Patient, or a qualified FHIR.Patient
        return argument.name
    raise compiler.fail(f"{call.name}() needs a type name")


def _of_type(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    return compile_type_test(compiler, "as", source, _type_argument(compiler, call))


def _is(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    return compile_type_test(compiler, "is", source, _type_argument(compiler, call))


def _resolve(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    """Types a reference by its target (``Patient/1``, a contained ``#id``, or ``Reference.type``)."""
    _arity(compiler, call, 0)
    if source.types and not source.types & _REFERENCE_TYPES:
        raise compiler.fail(f"resolve() on {sorted(source.types)}")
    resource_types = compiler.model.resource_types

    def resolve(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        out: list[Node] = []
        for value, node_type in focus:
            target = reference_type(value, node_type, root, resource_types)
            if target is not None:
                out.append((value, target))
        return out

    return Compiled(chain(source.fn, resolve), frozenset({RESOLVED}))


def _extension(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    _arity(compiler, call, 1)
    url = call.args[0]
    if not (isinstance(url, Literal) and isinstance(url.value, str)):
        raise compiler.fail("extension() needs a string literal URL")
    extensions = compiler.member(Member(None, "extension"), source)
    wanted = url.value

    def with_url(focus: list[Node], root: dict[str, Any]) -> list[Node]:
        return [node for node in focus if node[0].get("url") == wanted]

    return Compiled(chain(extensions.fn, with_url), extensions.types)


_FUNCTIONS: dict[str, Callable[[Compiler, Call, Compiled], Compiled]] = {
    "where": _where,
    "exists": _exists,
    "empty": _empty,
    "not": _not,
    "first": _slice(0, 1),
    "last": _slice(-1, None),
    "count": _count,
    "ofType": _of_type,
    "as": _of_type,
    "is": _is,
    "resolve": _resolve,
    "extension": _extension,
}


def compile_call(compiler: Compiler, call: Call, source: Compiled) -> Compiled:
    function = _FUNCTIONS.get(call.name)
    if function is None:
        raise compiler.fail(f"unsupported function {call.name}()")
    if call.name not in ("is", "ofType", "as"):
        compiler.reject_resolved(source.types, f"{call.name}()")
    return function(compiler, call, source)
