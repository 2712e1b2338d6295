"""The index entries of a resource: every search parameter of its type, by the spec's FHIRPath.

``Indexer(definitions)`` compiles every expression once, per resource type, into a list of
(parameter code, compiled path, converters by node type); ``entries(resource)`` then only walks
that list. Parameters of type ``special`` and those without an expression (``_text``,
``_content``, ``_query``) are not indexed. What the entries hold, for search to read alike:

* string: HumanName and Address give one entry per part (family, each given, prefix, suffix, text;
  each line, city, district, state, postalCode, country, text), normalised with normalize_string;
* token: ``text`` is normalised (display, CodeableConcept.text, Identifier.type.text);
  ContactPoint has no system; booleans are ``true``/``false``;
* reference: ``Type/id`` (also under the server's ``base_url``) -> target_type/target_id; other
  URLs and canonicals -> url (with target_type when the URL ends in ``Type/id``); ``#id`` is
  skipped; a Reference's identifier is a TokenEntry under the reference parameter's code, for
  ``:identifier``;
* quantity: Money uses the system ``urn:iso:std:iso:4217``; a comparator ``<``/``>`` opens that
  end of the interval; a Range spans low's low bound to high's high bound (MIN/MAX_NUMBER if open);
* composite: parts come from the same element (one ``Observation.component``), never across
  elements, one part per component in the parameter's order (three for MolecularSequence's).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any, cast

from caremesh.fhir.definitions import Definitions, SearchParamDef
from caremesh.fhir.indexing.entries import (
    CompositeEntry,
    DateEntry,
    IndexEntry,
    NumberEntry,
    QuantityEntry,
    ReferenceEntry,
    StringEntry,
    TokenEntry,
    UriEntry,
)
from caremesh.fhir.indexing.fhir_types import TypeModel
from caremesh.fhir.indexing.fhirpath import Compiler
from caremesh.fhir.indexing.fhirpath_core import Compiled, Fn, Node
from caremesh.fhir.indexing.fhirpath_guard import root_keys
from caremesh.fhir.indexing.fhirpath_parser import parse
from caremesh.fhir.indexing.references import reference_converters
from caremesh.fhir.indexing.values import DATE, NUMBER, QUANTITY, STRING, TOKEN, URI, Converter

CompositePart = TokenEntry | QuantityEntry | DateEntry | StringEntry | ReferenceEntry | NumberEntry | UriEntry
_PART_CLASSES: dict[str, type] = {
    "token": TokenEntry,
    "quantity": QuantityEntry,
    "date": DateEntry,
    "string": StringEntry,
    "reference": ReferenceEntry,
    "number": NumberEntry,
    "uri": UriEntry,
}
# R4 (4.0.1) publishes DocumentReference-relationship with its two component expressions swapped
# (the reference component "relatesto" reads ``code``): each component gets its own definition's path.
_COMPONENT_EXPRESSION_ERRATA = {
    ("http://hl7.org/fhir/SearchParameter/DocumentReference-relationship", 0): "target",
    ("http://hl7.org/fhir/SearchParameter/DocumentReference-relationship", 1): "code",
}


@dataclass(frozen=True, slots=True)
class _Component:
    fn: Fn
    converters: dict[str, Converter]
    part_class: type

    def parts(self, code: str, element: Node, root: dict[str, Any]) -> list[CompositePart]:
        out: list[CompositePart] = []
        for value, node_type in self.fn([element], root):
            convert = self.converters.get(node_type)
            if convert is not None:
                out.extend(cast(CompositePart, e) for e in convert(code, value) if self._fits(e))
        return out

    def _fits(self, entry: IndexEntry) -> bool:
        # Only the component's own kind: a Reference's identifier token is not a reference part,
        # and a CodeableConcept's text-only token cannot be the coded half of a composite.
        if type(entry) is not self.part_class:
            return False
        return not isinstance(entry, TokenEntry) or entry.code is not None or entry.system is not None


@dataclass(frozen=True, slots=True)
class _Composite:
    code: str
    guard: frozenset[str] | None
    elements: Fn
    components: tuple[_Component, ...]

    def entries(self, focus: list[Node], root: dict[str, Any]) -> list[IndexEntry]:
        out: list[IndexEntry] = []
        for element in self.elements(focus, root):
            parts: list[list[CompositePart]] = []
            # Last component first: it is the selective one (the value), where the first (the code)
            # is nearly always there; an element lacking any component gives no entry.
            for component in reversed(self.components):
                found = component.parts(self.code, element, root)
                if not found:
                    break
                parts.append(found)
            else:
                out.extend(
                    CompositeEntry(self.code, combination) for combination in product(*reversed(parts))
                )
        return out


# (parameter code, top-level keys of which one must be present or None, compiled path, converters)
_Simple = tuple[str, frozenset[str] | None, Fn, dict[str, Converter]]


@dataclass(frozen=True, slots=True)
class _TypePlan:
    by_key: dict[str, tuple[_Simple, ...]]  # parameters that read one top-level key, by that key
    checked: tuple[_Simple, ...]  # the others: several keys to check, or none (always run)
    composites: tuple[_Composite, ...]


def _type_plan(simple: list[_Simple], composites: list[_Composite]) -> _TypePlan:
    by_key: dict[str, list[_Simple]] = {}
    for item in simple:
        if item[1] is not None and len(item[1]) == 1:
            by_key.setdefault(next(iter(item[1])), []).append(item)
    checked = tuple(item for item in simple if item[1] is None or len(item[1]) > 1)
    return _TypePlan({key: tuple(items) for key, items in by_key.items()}, checked, tuple(composites))


def _convert(out: list[IndexEntry], code: str, nodes: list[Node], converters: dict[str, Converter]) -> None:
    for value, node_type in nodes:
        convert = converters.get(node_type)
        if convert is not None:
            out.extend(convert(code, value))


class Indexer:
    """Index entries for any R4 resource; build once per process (compiling takes ~0.1 s)."""

    def __init__(self, definitions: Definitions, *, base_url: str | None = None) -> None:
        self._definitions = definitions
        self._compiler = Compiler(TypeModel(definitions.schema, definitions.resource_types))
        self._converters: dict[str, dict[str, Converter]] = {
            "string": STRING,
            "token": TOKEN,
            "date": DATE,
            "number": NUMBER,
            "quantity": QUANTITY,
            "uri": URI,
            "reference": reference_converters(definitions.resource_types, base_url),
        }
        # (resource type, parameter code) -> node types the expression can yield that no entry
        # represents (e.g. Condition.onset as a string for the date parameter "onset-date").
        self.unindexed_types: dict[tuple[str, str], frozenset[str]] = {}
        self._plans = {rtype: self._plan(rtype, params) for rtype, params in definitions.by_type.items()}

    def entries(self, resource: dict[str, Any]) -> list[IndexEntry]:
        """Deduplicated entries; an unknown resourceType yields none (validation rejects it)."""
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str) or (plan := self._plans.get(resource_type)) is None:
            return []
        focus: list[Node] = [(resource, resource_type)]
        present = resource.keys()
        out: list[IndexEntry] = []
        by_key = plan.by_key
        for key in resource:  # a resource has a dozen keys; its type, dozens of parameters
            for code, _, fn, converters in by_key.get(key, ()):
                _convert(out, code, fn(focus, resource), converters)
        for code, guard, fn, converters in plan.checked:
            if guard is None or not present.isdisjoint(guard):
                _convert(out, code, fn(focus, resource), converters)
        for composite in plan.composites:
            if composite.guard is None or not present.isdisjoint(composite.guard):
                out.extend(composite.entries(focus, resource))
        return list(dict.fromkeys(out))

    def _plan(self, resource_type: str, params: dict[str, SearchParamDef]) -> _TypePlan:
        simple: list[_Simple] = []
        composites: list[_Composite] = []
        for code, param in sorted(params.items()):
            if param.expression is None or param.type == "special":
                continue
            compiled = self._compiler.compile(param.expression, frozenset({resource_type}), resource_type)
            guard = root_keys(parse(param.expression), self._compiler.model, resource_type)
            if guard is not None and not guard:
                continue  # written for other resource types only
            if param.type == "composite":
                composites.append(self._composite(resource_type, param, guard, compiled))
            else:
                converters = self._converters_for((resource_type, code), param.type, compiled.types)
                simple.append((code, guard, compiled.fn, converters))
        return _type_plan(simple, composites)

    def _converters_for(
        self, where: tuple[str, str], param_type: str, types: frozenset[str]
    ) -> dict[str, Converter]:
        available = self._converters[param_type]
        unindexed = types - available.keys()
        if unindexed:
            self.unindexed_types[where] = unindexed
        return {node_type: available[node_type] for node_type in types if node_type in available}

    def _composite(
        self, resource_type: str, param: SearchParamDef, guard: frozenset[str] | None, elements: Compiled
    ) -> _Composite:
        components: list[_Component] = []
        for position, component in enumerate(param.components):
            definition = self._definitions.by_url[component.definition]
            expression = _COMPONENT_EXPRESSION_ERRATA.get((param.url, position), component.expression)
            compiled = self._compiler.compile(expression, elements.types, resource_type)
            where = (resource_type, f"{param.code}${definition.code}")
            converters = self._converters_for(where, definition.type, compiled.types)
            components.append(_Component(compiled.fn, converters, _PART_CLASSES[definition.type]))
        return _Composite(param.code, guard, elements.fn, tuple(components))
