"""Which patients a resource belongs to, and whether it satisfies a granular scope's restriction.

Both are read from the resource itself with the engine's FHIRPath indexer: the compartment
definition's parameters (an Observation's ``subject`` and ``performer``) for membership, and the
restricting search parameter (``category``) for granular scopes. The compartment indexer compiles
only the compartment parameters, so checking a resource costs a few microseconds.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from caremesh.fhir.access.scopes import Restriction
from caremesh.fhir.definitions import Definitions
from caremesh.fhir.indexing.entries import IndexEntry, ReferenceEntry, TokenEntry
from caremesh.fhir.indexing.extract import Indexer


class Membership:
    def __init__(self, definitions: Definitions, base_url: str | None = None) -> None:
        self._definitions = definitions
        self._base_url = base_url
        only_compartment = {
            res_type: {
                code: p for code, p in params.items() if code in definitions.compartment.get(res_type, ())
            }
            for res_type, params in definitions.by_type.items()
        }
        self._compartment = Indexer(replace(definitions, by_type=only_compartment), base_url=base_url)
        self._full: Indexer | None = None

    def patients(self, resource: dict[str, Any]) -> tuple[str, ...]:
        """The patients whose compartment holds ``resource``, the defining parameter order first."""
        found: list[str] = []
        if resource.get("resourceType") == "Patient" and isinstance(resource.get("id"), str):
            found.append(resource["id"])
        order = self._definitions.compartment.get(str(resource.get("resourceType")), ())
        references = [
            (order.index(e.param), e.target_id)
            for e in self._compartment.entries(resource)
            if isinstance(e, ReferenceEntry)
            and e.target_type == "Patient"
            and e.target_id
            and e.param in order
        ]
        found += [patient for _, patient in sorted(references, key=lambda item: item[0])]
        return tuple(dict.fromkeys(found))

    def patients_of_body(self, body: bytes | None) -> tuple[str, ...]:
        return self.patients(_load(body)) if body else ()

    def belongs(self, resource: dict[str, Any], patient: str) -> bool:
        return patient in self.patients(resource)

    def satisfies(self, resource: dict[str, Any], restrictions: tuple[Restriction, ...]) -> bool:
        """True without restrictions; else when every pair of at least one restriction matches."""
        if not restrictions:
            return True
        entries = self._indexer().entries(resource)
        return any(all(_matches(entries, name, value) for name, value in r) for r in restrictions)

    def _indexer(self) -> Indexer:
        if self._full is None:
            self._full = Indexer(self._definitions, base_url=self._base_url)
        return self._full


def _load(body: bytes) -> dict[str, Any]:
    loaded = orjson.loads(body)
    return loaded if isinstance(loaded, dict) else {}


def _matches(entries: list[IndexEntry], name: str, value: str) -> bool:
    """Token (``code``, ``system|code``, ``system|``) and reference (``Type/id``) values; any other
    kind of parameter never matches, so an unsupported restriction withholds rather than leaks."""
    wanted = [v for v in value.split(",") if v]
    for entry in entries:
        if getattr(entry, "param", None) != name:
            continue
        if isinstance(entry, TokenEntry) and any(_token_matches(entry, v) for v in wanted):
            return True
        if isinstance(entry, ReferenceEntry) and f"{entry.target_type}/{entry.target_id}" in wanted:
            return True
    return False


def _token_matches(entry: TokenEntry, value: str) -> bool:
    if "|" not in value:
        return entry.code == value
    system, _, code = value.partition("|")
    if not code:
        return entry.system == system
    return entry.code == code and (entry.system or "") == system
