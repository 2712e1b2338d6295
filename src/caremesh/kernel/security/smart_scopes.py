"""SMART App Launch scopes: parsing, v1 -> v2 mapping and coverage, without any framework.

A resource scope is ``<context>/<type>.<permissions>[?<param>=<value>&...]`` where context is
``patient``, ``user`` or ``system``, type is a FHIR resource type or ``*`` and permissions are
letters of ``cruds`` in that order (v2). v1 suffixes are mapped: ``read`` -> ``rs``,
``write`` -> ``cud``, ``*`` -> ``cruds``. Everything else (``openid``, ``launch/patient``,
``offline_access`` ...) is an opaque scope compared by equality.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

PERMISSION_ORDER = "cruds"
CONTEXTS = ("patient", "user", "system")
V1_PERMISSIONS = {"read": "rs", "write": "cud", "*": "cruds"}
_RESOURCE_SCOPE = re.compile(r"^(patient|user|system)/(\*|[A-Z][A-Za-z]+)\.([a-z*]+)(?:\?(.+))?$")


@dataclass(frozen=True)
class ResourceScope:
    context: str
    resource_type: str  # a FHIR type or "*"
    permissions: frozenset[str]
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        letters = "".join(p for p in PERMISSION_ORDER if p in self.permissions)
        text = f"{self.context}/{self.resource_type}.{letters}"
        return f"{text}?{urlencode(self.params)}" if self.params else text

    def covers(self, other: ResourceScope) -> bool:
        """True when everything ``other`` allows is allowed by this scope too."""
        return (
            self.context == other.context
            and self.resource_type in ("*", other.resource_type)
            and other.permissions <= self.permissions
            and set(self.params) <= set(other.params)
        )

    def allows(self, resource_type: str, permission: str) -> bool:
        return self.resource_type in ("*", resource_type) and permission in self.permissions


def parse_resource_scope(text: str) -> ResourceScope | None:
    """The resource scope ``text`` names (v1 or v2), or None for other scopes or malformed ones."""
    match = _RESOURCE_SCOPE.match(text.strip())
    if match is None:
        return None
    context, resource_type, suffix, query = match.groups()
    letters = V1_PERMISSIONS.get(suffix, suffix)
    if not letters or any(letter not in PERMISSION_ORDER for letter in letters):
        return None
    if len(set(letters)) != len(letters):
        return None
    params = tuple(sorted(parse_qsl(query or "", keep_blank_values=False)))
    return ResourceScope(context, resource_type, frozenset(letters), params)


def normalize(text: str) -> str:
    """The v2 form of a resource scope; other scopes unchanged."""
    parsed = parse_resource_scope(text)
    return str(parsed) if parsed else text


def split_scopes(scope: str | None) -> list[str]:
    seen: dict[str, None] = {}
    for item in (scope or "").split():
        seen.setdefault(normalize(item), None)
    return list(seen)


def granted(allowed: str | None, requested: str | None) -> list[str]:
    """The requested scopes (v2-normalized) that the allowed scopes cover; order kept."""
    allowed_items = split_scopes(allowed)
    allowed_resources = [s for s in map(parse_resource_scope, allowed_items) if s is not None]
    result: list[str] = []
    for item in split_scopes(requested):
        parsed = parse_resource_scope(item)
        if parsed is None:
            if item in allowed_items:
                result.append(item)
        elif any(scope.covers(parsed) for scope in allowed_resources):
            result.append(item)
    return result


def resource_scopes(scopes: list[str] | tuple[str, ...]) -> list[ResourceScope]:
    return [s for s in map(parse_resource_scope, scopes) if s is not None]


def narrow(requested: ResourceScope, ceiling: ResourceScope) -> ResourceScope | None:
    """The part of ``requested`` that ``ceiling`` allows (same context), or None."""
    if requested.context != ceiling.context:
        return None
    if ceiling.resource_type == "*":
        resource_type = requested.resource_type
    elif requested.resource_type in ("*", ceiling.resource_type):
        resource_type = ceiling.resource_type
    else:
        return None
    permissions = requested.permissions & ceiling.permissions
    if not permissions:
        return None
    params = tuple(sorted(set(requested.params) | set(ceiling.params)))
    return ResourceScope(requested.context, resource_type, permissions, params)


def within(ceiling: str, requested: list[str]) -> list[str]:
    """Requested scopes cut down to a ceiling (e.g. what a role may ever hold): resource scopes are
    narrowed (``user/*.cruds`` under ``user/*.rs`` becomes ``user/*.rs``) or dropped; other scopes
    pass unchanged."""
    ceilings = resource_scopes(split_scopes(ceiling))
    result: dict[str, None] = {}
    for item in requested:
        parsed = parse_resource_scope(item)
        if parsed is None:
            result.setdefault(item, None)
            continue
        for limit in ceilings:
            narrowed = narrow(parsed, limit)
            if narrowed is not None:
                result.setdefault(str(narrowed), None)
                break
    return list(result)
