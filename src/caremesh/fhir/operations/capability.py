"""The CapabilityStatement at ``GET [base]/metadata``, generated from what the engine really does.

Nothing is listed by hand per type: the resource types are the engine's, the search parameters
are every definition the search engine accepts for the type (``searchable``), the includes are
the type's reference parameters and the reverse includes every reference parameter that may
point at it. The operations are those the router mounted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from caremesh import __version__
from caremesh.fhir.definitions import Definitions, SearchParamDef
from caremesh.fhir.search.lookup import searchable

INSTANCE = ("read", "vread", "update", "patch", "delete", "history-instance")
TYPE = ("history-type", "create", "search-type")
SYSTEM = ("transaction", "batch", "search-system", "history-system")
FORMATS = ("application/fhir+json", "json")
PATCH_FORMATS = ("application/json-patch+json",)


@dataclass(frozen=True, slots=True)
class Operation:
    name: str  # without the "$"
    definition: str  # canonical URL of the OperationDefinition
    level: str  # system | type | instance
    resource_type: str | None = None  # None: every type


def _param(param: SearchParamDef) -> dict[str, Any]:
    return {"name": param.code, "definition": param.url, "type": param.type}


def _reverse_includes(definitions: Definitions, types: frozenset[str]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for source in types:
        for code, param in definitions.search_params(source).items():
            if param.type == "reference" and searchable(param):
                for target in param.targets or types:
                    found[target].add(f"{source}:{code}")
    return {target: sorted(values) for target, values in found.items()}


def _operations(operations: list[Operation], level: str, resource_type: str | None) -> list[dict[str, str]]:
    return [
        {"name": op.name, "definition": op.definition}
        for op in operations
        if op.level == level and op.resource_type in (None, resource_type)
    ]


def _resource(
    definitions: Definitions, kind: str, revincludes: list[str], operations: list[Operation]
) -> dict[str, Any]:
    params = [p for p in definitions.search_params(kind).values() if searchable(p)]
    includes = sorted(f"{kind}:{p.code}" for p in params if p.type == "reference")
    resource: dict[str, Any] = {
        "type": kind,
        "interaction": [{"code": code} for code in (*INSTANCE, *TYPE)],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "not-match",
        "conditionalUpdate": True,
        "conditionalDelete": "single",
        "referencePolicy": ["literal", "local"],
        "searchInclude": [f"{kind}:*", *includes],
        "searchParam": [_param(p) for p in sorted(params, key=lambda p: p.code)],
    }
    if revincludes:
        resource["searchRevInclude"] = revincludes
    typed = _operations(operations, "type", kind) + _operations(operations, "instance", kind)
    if typed:
        resource["operation"] = typed
    return resource


def capability_statement(
    definitions: Definitions, resource_types: frozenset[str], operations: list[Operation], base: str
) -> dict[str, Any]:
    revincludes = _reverse_includes(definitions, resource_types)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rest: dict[str, Any] = {
        "mode": "server",
        "documentation": "Every interaction needs an OAuth2 bearer token (Authorization: Bearer ...).",
        "resource": [
            _resource(definitions, kind, revincludes.get(kind, []), operations)
            for kind in sorted(resource_types)
        ],
        "interaction": [{"code": code} for code in SYSTEM],
    }
    system_operations = _operations(operations, "system", None)
    if system_operations:
        rest["operation"] = system_operations
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now,
        "publisher": "caremesh",
        "kind": "instance",
        "software": {"name": "caremesh", "version": __version__},
        "implementation": {"description": "caremesh FHIR R4 server", "url": base},
        "fhirVersion": definitions.fhir_version,
        "format": list(FORMATS),
        "patchFormat": list(PATCH_FORMATS),
        "rest": [rest],
    }
