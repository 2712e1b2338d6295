"""Reference targets (``Patient/1``, ``Patient/1/_history/2``, absolute URLs) and their index entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caremesh.fhir.indexing.entries import IndexEntry, ReferenceEntry
from caremesh.fhir.indexing.values import Converter, identifier_value


@dataclass(frozen=True, slots=True)
class Target:
    type: str | None  # the resource type named by the reference, when it names one
    id: str | None  # set only for a reference to this server (relative, or under its base URL)
    url: str | None  # the reference as written, when it points elsewhere (absolute, urn:, canonical)


def _split_type_id(path: str, resource_types: frozenset[str]) -> tuple[str, str] | None:
    """``.../Type/id`` or ``.../Type/id/_history/v`` -> (Type, id)."""
    parts = path.split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and parts[-2] in resource_types and parts[-1]:
        return parts[-2], parts[-1]
    return None


def parse_reference(
    reference: str, resource_types: frozenset[str], base_url: str | None = None
) -> Target | None:
    """The target of a reference, or None for a reference into the resource itself (``#id``)."""
    if not reference or reference.startswith("#"):
        return None
    local = reference
    if base_url and reference.startswith(base_url.rstrip("/") + "/"):
        local = reference[len(base_url.rstrip("/")) + 1 :]
    elif ":" in reference:  # absolute URL, urn:uuid:, urn:oid:: another server's or a canonical
        found = _split_type_id(reference.split("|", 1)[0], resource_types)
        return Target(found[0] if found else None, None, reference)
    found = _split_type_id(local, resource_types)
    if found is not None and found[0] == local.split("/", 1)[0]:
        return Target(found[0], found[1], None)
    return Target(None, None, reference)


def reference_type(
    value: Any, node_type: str, root: dict[str, Any], resource_types: frozenset[str]
) -> str | None:
    """The type of the resource a Reference/canonical node points to, as FHIRPath resolve() sees it."""
    if node_type != "Reference":
        if isinstance(value, str):
            target = parse_reference(value, resource_types)
            return target.type if target else None
        return value.get("resourceType") if isinstance(value, dict) else None
    if not isinstance(value, dict):
        return None
    reference = value.get("reference")
    if isinstance(reference, str):
        if reference.startswith("#"):
            return _contained_type(root, reference[1:])
        target = parse_reference(reference, resource_types)
        if target is not None and target.type is not None:
            return target.type
    declared = value.get("type")
    return declared if isinstance(declared, str) and declared in resource_types else None


def _contained_type(root: dict[str, Any], local_id: str) -> str | None:
    contained = root.get("contained")
    if not isinstance(contained, list):
        return None
    for resource in contained:
        if isinstance(resource, dict) and resource.get("id") == local_id:
            found = resource.get("resourceType")
            return found if isinstance(found, str) else None
    return None


def reference_converters(resource_types: frozenset[str], base_url: str | None) -> dict[str, Converter]:
    """Reference-parameter converters: Reference, canonical/uri, and an inline resource (Bundle)."""

    def from_string(param: str, value: Any) -> list[IndexEntry]:
        target = parse_reference(value, resource_types, base_url) if type(value) is str else None
        return [ReferenceEntry(param, target.type, target.id, target.url)] if target is not None else []

    def from_reference(param: str, value: Any) -> list[IndexEntry]:
        if type(value) is not dict:
            return []
        out = from_string(param, value.get("reference"))
        # Kept under the reference parameter's own code so that ``subject:identifier=`` finds it.
        out.extend(identifier_value(param, value.get("identifier")))
        return out

    def from_resource(param: str, value: Any) -> list[IndexEntry]:
        found = value.get("id") if type(value) is dict else None
        if type(found) is not str or not found:
            return []
        return [ReferenceEntry(param, value.get("resourceType"), found, None)]

    converters: dict[str, Converter] = dict.fromkeys(resource_types, from_resource)
    converters.update(dict.fromkeys(("canonical", "uri", "url"), from_string))
    converters["Reference"] = from_reference
    return converters
