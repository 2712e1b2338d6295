"""Logical ids and version ids as FHIR R4 defines them (the ``id`` datatype)."""

from __future__ import annotations

import re

from caremesh.fhir.outcome import FhirError

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_VERSION = re.compile(r"[0-9]{1,18}")


def is_valid_id(value: str) -> bool:
    return _ID.fullmatch(value) is not None


def require_id(value: str, *expression: str) -> str:
    """``value`` if it is a valid FHIR id, else a 400 naming the rule."""
    if not is_valid_id(value):
        raise FhirError.single(
            400, "value", f"invalid id {value[:80]!r}: 1-64 characters of A-Z a-z 0-9 - .", *expression
        )
    return value


def parse_version(value: str) -> int:
    """A version id of this server: a positive integer (anything else cannot exist here)."""
    if _VERSION.fullmatch(value) is None or int(value) < 1:
        raise FhirError.single(404, "not-found", f"version {value[:40]!r} does not exist")
    return int(value)
