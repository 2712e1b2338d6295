"""Reference.reference syntax: what a server can resolve, or say precisely why it cannot."""

from __future__ import annotations

import re
from dataclasses import dataclass

from caremesh.fhir.validation.describe import echo

_ID = r"[A-Za-z0-9\-.]{1,64}"
_RELATIVE = re.compile(rf"([A-Za-z]+)/({_ID})(?:/_history/({_ID}))?")
_RELATIVE_LOOSE = re.compile(r"([A-Za-z]+)/([^/]*)(?:/_history/(.*))?")
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#]+\S*")
_UUID = re.compile(r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_OID = re.compile(r"urn:oid:[0-2](?:\.(?:0|[1-9][0-9]*))+")
_CONDITIONAL = re.compile(r"([A-Za-z]+)\?\S+")

_EXPECTED = "expected 'Type/id', an absolute URL or '#id' of a contained resource"


@dataclass(frozen=True)
class ReferenceScope:
    """Where a reference sits: which local targets exist and whether bundle-only forms resolve."""

    resource_types: frozenset[str]
    contained_ids: frozenset[str] = frozenset()
    in_contained: bool = False  # `#` alone points at the containing resource
    in_bundle: bool = False  # urn:uuid:, urn:oid: and conditional `Type?query` resolve in bundles


def reference_problem(value: str, scope: ReferenceScope) -> str | None:
    """Why ``value`` is not a valid reference here, or None when it is."""
    if value.startswith("#"):
        return _local_problem(value, scope)
    if value.startswith("urn:"):
        return _urn_problem(value, scope)
    if _ABSOLUTE.fullmatch(value):
        return None
    if "?" in value:
        return _conditional_problem(value, scope)
    return _relative_problem(value, scope)


def _local_problem(value: str, scope: ReferenceScope) -> str | None:
    local_id = value[1:]
    if not local_id:
        return None if scope.in_contained else "Reference '#' is only valid inside a contained resource"
    if local_id in scope.contained_ids:
        return None
    return f"Local reference {echo(value)} matches no contained resource"


def _urn_problem(value: str, scope: ReferenceScope) -> str | None:
    if value.startswith("urn:uuid:"):
        pattern, kind = _UUID, "urn:uuid"
    elif value.startswith("urn:oid:"):
        pattern, kind = _OID, "urn:oid"
    else:
        return f"Invalid reference {echo(value)}: {_EXPECTED}"
    if not pattern.fullmatch(value):
        return f"Malformed {kind} reference {echo(value)}"
    if not scope.in_bundle:
        return f"A {kind} reference {echo(value)} only resolves inside a Bundle"
    return None


def _conditional_problem(value: str, scope: ReferenceScope) -> str | None:
    match = _CONDITIONAL.fullmatch(value)
    if match is None:
        return f"Invalid reference {echo(value)}: {_EXPECTED}"
    if not scope.in_bundle:
        return f"A conditional reference {echo(value)} only resolves inside a transaction Bundle"
    return _type_problem(match.group(1), scope)


def _relative_problem(value: str, scope: ReferenceScope) -> str | None:
    match = _RELATIVE.fullmatch(value)
    if match is None:
        loose = _RELATIVE_LOOSE.fullmatch(value)
        if loose is not None and (problem := _type_problem(loose.group(1), scope)):
            return problem
        if loose is not None:
            return f"Invalid id in reference {echo(value)}: an id has 1 to 64 letters, digits, '-' or '.'"
        return f"Invalid reference {echo(value)}: {_EXPECTED}"
    return _type_problem(match.group(1), scope)


def _type_problem(resource_type: str, scope: ReferenceScope) -> str | None:
    if resource_type in scope.resource_types:
        return None
    return f"Unknown resource type {echo(resource_type)} in reference"
