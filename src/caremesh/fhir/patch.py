"""JSON Patch (RFC 6902) applied to a stored resource without rewriting its numbers.

The document and the patch are parsed with numbers as :class:`ExactNumber` (a Decimal that keeps
its text), so ``test`` compares numbers by value, as the RFC asks, and the patched resource is
written back with every untouched number exactly as it was stored.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from typing import Any

import orjson

from caremesh.fhir.outcome import FhirError

_INDEX = re.compile(r"0|[1-9][0-9]{0,8}")
_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


class ExactNumber(Decimal):
    """A JSON number that remembers how it was written."""

    text: str

    def __new__(cls, text: str) -> ExactNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _raw_number(value: object) -> orjson.Fragment:
    if isinstance(value, ExactNumber):
        return orjson.Fragment(value.text)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _too_deep() -> FhirError:
    return FhirError.single(400, "structure", "the patched resource is nested too deeply")


def parse_exact(body: bytes) -> Any:
    try:
        return json.loads(body, parse_float=ExactNumber, parse_int=ExactNumber)
    except RecursionError:
        raise _too_deep() from None


def dump_exact(value: Any) -> bytes:
    try:
        return orjson.dumps(value, default=_raw_number)
    except TypeError as error:
        if "Recursion" not in str(error):
            raise
        raise _too_deep() from None


def _invalid(message: str, index: int) -> FhirError:
    return FhirError.single(400, "invalid", f"JSON Patch operation {index}: {message}")


def _failed(message: str, index: int) -> FhirError:
    return FhirError.single(422, "processing", f"JSON Patch operation {index} cannot apply: {message}")


def operations(patch: bytes) -> list[dict[str, Any]]:
    """The operations of a JSON Patch document, checked for shape (400 when malformed)."""
    try:
        ops = parse_exact(patch)
    except ValueError as error:
        raise FhirError.single(
            400, "structure", f"the JSON Patch document is not valid JSON: {error}"
        ) from None
    if not isinstance(ops, list):
        raise FhirError.single(400, "structure", "a JSON Patch document is a JSON array of operations")
    for index, op in enumerate(ops):
        if not isinstance(op, dict) or op.get("op") not in _OPS:
            raise _invalid("'op' must be one of add, remove, replace, move, copy, test", index)
        if not isinstance(op.get("path"), str):
            raise _invalid("'path' must be a JSON Pointer string", index)
        if op["op"] in ("add", "replace", "test") and "value" not in op:
            raise _invalid(f"'{op['op']}' needs a 'value'", index)
        if op["op"] in ("move", "copy") and not isinstance(op.get("from"), str):
            raise _invalid(f"'{op['op']}' needs a 'from' pointer", index)
    return ops


def _tokens(pointer: str, index: int) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise _invalid(f"pointer {pointer!r} must start with '/'", index)
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _child(container: Any, segment: str, index: int) -> Any:
    if isinstance(container, dict):
        if segment not in container:
            raise _failed(f"member {segment!r} does not exist", index)
        return container[segment]
    if isinstance(container, list):
        return container[_position(container, segment, index, allow_end=False)]
    raise _failed(f"{segment!r} is below a value that is neither an object nor an array", index)


def _position(array: list[Any], segment: str, index: int, *, allow_end: bool) -> int:
    if segment == "-" and allow_end:
        return len(array)
    if _INDEX.fullmatch(segment) is None:
        raise _failed(f"{segment!r} is not an array index", index)
    position = int(segment)
    if position > len(array) or (position == len(array) and not allow_end):
        raise _failed(f"array index {position} is out of range", index)
    return position


def _parent(document: Any, tokens: list[str], index: int) -> Any:
    target = document
    for segment in tokens[:-1]:
        target = _child(target, segment, index)
    return target


def _get(document: Any, tokens: list[str], index: int) -> Any:
    return _child(_parent(document, tokens, index), tokens[-1], index) if tokens else document


def _add(document: Any, tokens: list[str], value: Any, index: int) -> Any:
    if not tokens:
        return value
    parent, last = _parent(document, tokens, index), tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_position(parent, last, index, allow_end=True), value)
    else:
        raise _failed("the parent of the target is neither an object nor an array", index)
    return document


def _remove(document: Any, tokens: list[str], index: int) -> Any:
    if not tokens:
        raise _failed("the whole resource cannot be removed", index)
    parent, last = _parent(document, tokens, index), tokens[-1]
    _child(parent, last, index)
    if isinstance(parent, dict):
        del parent[last]
    else:
        del parent[int(last)]
    return document


def _replace(document: Any, tokens: list[str], value: Any, index: int) -> Any:
    if not tokens:
        return value
    parent, last = _parent(document, tokens, index), tokens[-1]
    _child(parent, last, index)
    parent[last if isinstance(parent, dict) else int(last)] = value
    return document


def _equal(left: Any, right: Any) -> bool:
    """JSON equality: numbers by value, but ``true`` is not ``1`` (as Python would have it)."""
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and left.keys() == right.keys()
            and all(_equal(value, right[key]) for key, value in left.items())
        )
    if isinstance(left, list):
        return isinstance(right, list) and len(left) == len(right) and all(map(_equal, left, right))
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)


def _apply_one(document: Any, op: dict[str, Any], index: int) -> Any:
    name, path = op["op"], _tokens(op["path"], index)
    if name == "add":
        return _add(document, path, op["value"], index)
    if name == "remove":
        return _remove(document, path, index)
    if name == "replace":
        return _replace(document, path, op["value"], index)
    if name == "test":
        if not _equal(_get(document, path, index), op["value"]):
            raise _failed(f"the value at {op['path']!r} is not the tested value", index)
        return document
    source = _tokens(op["from"], index)
    value = _get(document, source, index)
    if name == "copy":
        return _add(document, path, copy.deepcopy(value), index)
    if path[: len(source)] == source and len(path) > len(source):
        raise _failed("an object cannot be moved into one of its own children", index)
    return _add(_remove(document, source, index), path, value, index)


def apply_patch(document_body: bytes, patch: bytes) -> bytes:
    """The resource ``document_body`` with the JSON Patch ``patch`` applied (4xx when it cannot)."""
    ops = operations(patch)
    document = parse_exact(document_body)
    for index, op in enumerate(ops):
        document = _apply_one(document, op, index)
    return dump_exact(document)
