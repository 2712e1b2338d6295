"""References between the entries of a Bundle, resolved to the ids the server gives them.

A reference is a ``Reference.reference`` string: in the compact JSON orjson writes, the member
``"reference":"..."`` (a ``"reference"`` inside a string value is escaped, so never matches).
``urn:uuid:`` and other fullUrls of the bundle's entries become ``Type/id``; conditional
references (``Patient?identifier=sys|val``) are found by search and must match exactly one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import orjson

from caremesh.fhir.outcome import FhirError

_REFERENCE = re.compile(rb'"reference":"((?:[^"\\]|\\.)*)"')
_CONDITIONAL = re.compile(r"[A-Z][A-Za-z0-9]*\?.+")


def _value(raw: bytes) -> str:
    return raw.decode() if b"\\" not in raw else str(orjson.loads(b'"' + raw + b'"'))


def references(body: bytes) -> list[str]:
    """Every ``Reference.reference`` value in ``body`` (compact JSON)."""
    return [_value(match[1]) for match in _REFERENCE.finditer(body)]


def conditional_references(body: bytes) -> set[str]:
    return {value for value in references(body) if _CONDITIONAL.fullmatch(value)}


def rewrite(body: bytes, targets: Mapping[str, str], where: str) -> bytes:
    """``body`` with every reference found in ``targets`` replaced; a ``urn:uuid:`` reference
    that names no entry of the bundle is a 400 (it could never resolve)."""
    if b'"reference":"' not in body:
        return body

    def replace(match: re.Match[bytes]) -> bytes:
        value = _value(match[1])
        target = targets.get(value)
        if target is not None:
            return b'"reference":' + orjson.dumps(target)
        if value.startswith("urn:uuid:"):
            raise FhirError.single(
                400, "not-found", f"reference {value[:80]!r} names no entry of the bundle", where
            )
        return match[0]

    return _REFERENCE.sub(replace, body)
