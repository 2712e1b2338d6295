"""Synthea bundles as a Bulk-export-like list of resources, and the canaries each patient carries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from tests.support.synthea import load_bundles


def _resolve(node: Any, types: dict[str, str]) -> Any:
    # A server resolves urn:uuid references on import; an export holds Type/id references.
    if isinstance(node, dict):
        return {k: _resolve(v, types) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, types) for v in node]
    if isinstance(node, str) and node.startswith("urn:uuid:") and node[9:] in types:
        return f"{types[node[9:]]}/{node[9:]}"
    return node


def exported_resources(limit: int) -> Iterator[list[dict[str, Any]]]:
    """Per bundle: its resources as an export would hold them."""
    for bundle in load_bundles(limit):
        resources = [entry["resource"] for entry in bundle["entry"]]
        types = {r["id"]: r["resourceType"] for r in resources}
        yield [_resolve(r, types) for r in resources]


def canaries(resources: list[dict[str, Any]]) -> set[str]:
    """Values that must not survive: the patient's names, address parts, phone numbers, mother's
    maiden name and identifier values, and every resource id. (Dates are checked by shape.)"""
    found: set[str] = set()
    for resource in resources:
        found.add(resource["id"])
        patient = resource["resourceType"] == "Patient"
        for identifier in resource.get("identifier", []):
            if patient or len(identifier["value"]) >= 6:  # not a 3-digit synthetic NPI like "100"
                found.add(identifier["value"])
        if not patient:
            continue
        for name in resource.get("name", []):
            found.update([name.get("family", ""), *name.get("given", [])])
        for address in resource.get("address", []):
            found.update([*address.get("line", []), address.get("city", ""), address.get("postalCode", "")])
        found.update(t["value"] for t in resource.get("telecom", []))
        for extension in resource.get("extension", []):
            if extension.get("valueString"):
                found.add(extension["valueString"])  # mother's maiden name
    return {c for c in found if c and len(c) >= 3}


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)
    elif isinstance(node, str):
        yield node


def terminology_texts(resources: Iterable[dict[str, Any]]) -> Iterator[str]:
    """Coding displays and CodeableConcept texts: the vocabulary of the record, not the person."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("display"), str) and ("code" in node or "system" in node):
                yield node["display"]
            if isinstance(node.get("text"), str) and "coding" in node:
                yield node["text"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for resource in resources:
        yield from walk(resource)
