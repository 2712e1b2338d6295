"""Validation on write: structure per the R4 JSON schema of the type, required code bindings,
reference syntax and a few invariants, reported as precise OperationOutcome issues.

Construct one ``Validator`` per process: the strict schema is compiled and the shapes are built
once (about 0.1 s and 30 MB for all 145 types); it is safe to share between threads.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.outcome import Issue
from caremesh.fhir.validation.content import ContentWalk
from caremesh.fhir.validation.describe import echo, json_type
from caremesh.fhir.validation.references import ReferenceScope
from caremesh.fhir.validation.schema import compile_schema, r4_definitions
from caremesh.fhir.validation.schema_errors import schema_issues
from caremesh.fhir.validation.shapes import build_shapes, load_elements

# An OperationOutcome stays readable (and small) however broken the payload is.
MAX_ISSUES = 100


class Validator:
    def __init__(self, definitions: Definitions) -> None:
        elements = load_elements()
        self._types = definitions.resource_types
        self._defs = r4_definitions(definitions.schema, self._types, elements["not_r4"])
        self._shapes = build_shapes(self._defs, elements["elements"])
        self._schema = compile_schema(self._defs, self._types)

    def validate(
        self, resource: Any, *, resource_type: str | None = None, in_bundle: bool = False
    ) -> list[Issue]:
        """Every problem found in ``resource`` (empty when valid).

        ``resource_type``: the type the request expects (from the URL); a different resourceType
        is an error. ``in_bundle``: the resource is an entry of a batch or transaction Bundle, where
        ``urn:uuid:``/``urn:oid:`` and conditional ``Type?query`` references resolve (entries of a
        Bundle being validated are always checked that way).
        """
        issues: list[Issue] = []
        try:
            self._resource(resource, resource_type, None, in_bundle, None, issues)
        except RecursionError:
            where = resource_type or "Resource"
            issues.append(
                Issue(code="structure", diagnostics="Resource is nested too deeply", expression=(where,))
            )
        if len(issues) <= MAX_ISSUES:
            return issues
        more = Issue(
            code="informational",
            severity="information",
            diagnostics=f"{len(issues) - MAX_ISSUES} more issues not shown",
        )
        return [*issues[:MAX_ISSUES], more]

    def _resource(
        self,
        resource: Any,
        expected: str | None,
        location: str | None,
        in_bundle: bool,
        container: ReferenceScope | None,
        issues: list[Issue],
    ) -> None:
        resource_type = self._resource_type(resource, expected, location, issues)
        if resource_type is None:
            return
        where = location or resource_type
        try:
            errors = self._schema.iter_errors(self._typed(resource, resource_type))
            issues.extend(schema_issues(islice(errors, MAX_ISSUES), where))
        except (ValueError, TypeError, OverflowError):
            issues.append(
                Issue(code="structure", diagnostics="Resource is not valid JSON data", expression=(where,))
            )
            return
        scope = self._scope(resource, in_bundle, container)
        walk = ContentWalk(scope, issues)
        walk.node(resource, self._shapes[resource_type], where)
        for at, key, value in walk.embedded:
            self._embedded(at, key, value, resource_type, in_bundle, scope, container, issues)

    def _embedded(
        self,
        at: str,
        key: str,
        value: Any,
        owner_type: str,
        in_bundle: bool,
        scope: ReferenceScope,
        container: ReferenceScope | None,
        issues: list[Issue],
    ) -> None:
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            where = f"{at}[{index}]" if isinstance(value, list) else at
            if key != "contained":
                entry_in_bundle = in_bundle or owner_type == "Bundle"
                self._resource(item, None, where, entry_in_bundle, None, issues)
                continue
            if container is not None:
                text = "A contained resource cannot contain resources (dom-2)"
                issues.append(Issue(code="invariant", diagnostics=text, expression=(where,)))
            self._resource(item, None, where, in_bundle, scope, issues)

    @staticmethod
    def _typed(resource: dict[str, Any], resource_type: str) -> dict[str, Any]:
        """The schema dispatches on resourceType: a resource that lacks it is checked as the type the
        request expects (the missing resourceType itself is reported from ``required``)."""
        if "resourceType" in resource:
            return resource
        return {**resource, "resourceType": resource_type}

    def _scope(
        self, resource: dict[str, Any], in_bundle: bool, container: ReferenceScope | None
    ) -> ReferenceScope:
        if container is not None:  # a contained resource points at its siblings and its container
            return ReferenceScope(
                self._types, container.contained_ids, in_contained=True, in_bundle=in_bundle
            )
        contained = resource.get("contained")
        ids = (
            frozenset(c["id"] for c in contained if isinstance(c, dict) and isinstance(c.get("id"), str))
            if isinstance(contained, list)
            else frozenset()
        )
        return ReferenceScope(self._types, ids, in_bundle=in_bundle)

    def _resource_type(
        self, resource: Any, expected: str | None, location: str | None, issues: list[Issue]
    ) -> str | None:
        """The type to validate ``resource`` as, or None (with an issue) when there is none."""
        where = location or expected or "Resource"
        if not isinstance(resource, dict):
            text = f"Expected a resource (a JSON object), found {json_type(resource)}"
            issues.append(Issue(code="structure", diagnostics=text, expression=(where,)))
            return None
        if expected is not None and expected not in self._types:
            text = f"Unknown resource type {echo(expected)}"
            issues.append(Issue(code="not-supported", diagnostics=text, expression=(where,)))
            return None
        declared = resource.get("resourceType")
        if declared is None:
            text = "Missing resourceType"
            issues.append(Issue(code="required", diagnostics=text, expression=(f"{where}.resourceType",)))
            return expected  # when the request says what it expects, the rest is still checked
        if not isinstance(declared, str) or declared not in self._types:
            text = f"Unknown resourceType {echo(declared)}: not an R4 resource type"
            issues.append(Issue(code="structure", diagnostics=text, expression=(f"{where}.resourceType",)))
            return None
        if expected is not None and declared != expected:
            text = f"resourceType {echo(declared)} does not match the expected type {echo(expected)}"
            issues.append(Issue(code="invalid", diagnostics=text, expression=(f"{where}.resourceType",)))
            return None
        return declared
