"""The R4 definitions the engine is driven by: resource types, search parameters, the Patient compartment."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

# Parameters defined on these bases apply to every resource type.
_UNIVERSAL_BASES = ("Resource", "DomainResource")


@dataclass(frozen=True)
class SearchParamComponent:
    definition: str  # canonical URL of the component's own SearchParameter
    expression: str  # FHIRPath relative to the composite's element


@dataclass(frozen=True)
class SearchParamDef:
    code: str
    type: str  # number date string token reference composite quantity uri special
    expression: str | None
    url: str
    bases: tuple[str, ...]
    targets: tuple[str, ...] = ()
    modifiers: tuple[str, ...] = ()
    comparators: tuple[str, ...] = ()
    components: tuple[SearchParamComponent, ...] = ()
    multiple_or: bool = True
    multiple_and: bool = True


@dataclass(frozen=True)
class Definitions:
    resource_types: frozenset[str]
    by_url: dict[str, SearchParamDef]
    by_type: dict[str, dict[str, SearchParamDef]]  # resource type -> code -> definition
    compartment: dict[str, tuple[str, ...]]  # resource type -> params linking it to Patient
    fhir_version: str = "4.0.1"
    schema: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def search_params(self, resource_type: str) -> dict[str, SearchParamDef]:
        return self.by_type.get(resource_type, {})

    def param(self, resource_type: str, code: str) -> SearchParamDef | None:
        return self.by_type.get(resource_type, {}).get(code)


def _read_json(name: str) -> Any:
    return json.loads(resources.files("caremesh.fhir.data").joinpath(name).read_bytes())


def _param(resource: dict[str, Any]) -> SearchParamDef:
    return SearchParamDef(
        code=resource["code"],
        type=resource["type"],
        expression=resource.get("expression"),
        url=resource["url"],
        bases=tuple(resource.get("base", ())),
        targets=tuple(resource.get("target", ())),
        modifiers=tuple(resource.get("modifier", ())),
        comparators=tuple(resource.get("comparator", ())),
        components=tuple(
            SearchParamComponent(c["definition"], c["expression"]) for c in resource.get("component", ())
        ),
        multiple_or=resource.get("multipleOr", True),
        multiple_and=resource.get("multipleAnd", True),
    )


def _resource_types(schema: dict[str, Any], compartment_listing: list[dict[str, Any]]) -> frozenset[str]:
    # The compartment definition lists every R4 resource type exactly once; the schema file also
    # carries a server vendor's own types, which are not R4 and are ignored.
    listed = {item["code"] for item in compartment_listing}
    return frozenset(listed & set(schema["discriminator"]["mapping"]))


@cache
def load() -> Definitions:
    """Parse the bundled R4 files once per process."""
    schema = _read_json("fhir.schema.json")
    compartment_listing = _read_json("compartmentdefinition-patient.json")["resource"]
    types = _resource_types(schema, compartment_listing)
    by_url: dict[str, SearchParamDef] = {}
    by_type: dict[str, dict[str, SearchParamDef]] = {t: {} for t in types}
    for entry in _read_json("search-parameters.json")["entry"]:
        param = _param(entry["resource"])
        by_url[param.url] = param
        targets = types if any(b in _UNIVERSAL_BASES for b in param.bases) else param.bases
        for resource_type in targets:
            if resource_type in by_type:
                by_type[resource_type][param.code] = param
    compartment = {
        item["code"]: tuple(item.get("param", ()))
        for item in compartment_listing
        if item.get("param")
    }
    return Definitions(
        resource_types=types, by_url=by_url, by_type=by_type, compartment=compartment, schema=schema
    )
