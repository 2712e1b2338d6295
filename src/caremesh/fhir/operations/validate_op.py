"""``$validate``: check a resource against the engine's rules without storing it.

The body is either the resource itself or a Parameters resource with a ``resource`` parameter
(and optionally ``mode``). The answer is always an OperationOutcome with 200, valid or not, as
the operation's definition says; only a body that holds no resource to validate is a 400.
"""

from __future__ import annotations

from typing import Any

import orjson

from caremesh.fhir.incoming import ResourceValidator
from caremesh.fhir.outcome import FhirError, Issue

MODES = ("create", "update", "delete")


def _resource_and_mode(
    parsed: dict[str, Any], query_mode: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    if parsed.get("resourceType") != "Parameters":
        return parsed, query_mode
    resource, mode = None, query_mode
    for parameter in parsed.get("parameter") or []:
        if not isinstance(parameter, dict):
            continue
        if parameter.get("name") == "resource":
            resource = parameter.get("resource")
        elif parameter.get("name") == "mode":
            mode = parameter.get("valueCode") or parameter.get("valueString")
    if resource is not None and not isinstance(resource, dict):
        raise FhirError.single(
            400, "structure", "the resource parameter must hold a resource", "Parameters.parameter"
        )
    return resource, mode


def _parse(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise FhirError.single(400, "required", "$validate needs a resource or a Parameters resource")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise FhirError.single(400, "structure", f"the body is not valid JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise FhirError.single(400, "structure", "the body must be a JSON object")
    return parsed


def validate_operation(
    validator: ResourceValidator,
    body: bytes,
    *,
    resource_type: str,
    resource_id: str | None = None,
    mode: str | None = None,
) -> list[Issue]:
    """The issues of the resource in ``body``; an informational issue when there are none."""
    resource, chosen_mode = _resource_and_mode(_parse(body), mode)
    if chosen_mode is not None and chosen_mode not in MODES:
        raise FhirError.single(400, "value", f"mode must be one of {', '.join(MODES)}", "mode")
    if chosen_mode == "delete":
        return [Issue("informational", "nothing prevents deleting this resource", "information")]
    if resource is None:
        raise FhirError.single(400, "required", "Parameters has no resource parameter to validate")
    issues = _identity_issues(resource, resource_type, resource_id, chosen_mode)
    issues += validator.validate(resource, resource_type=resource_type)
    return issues or [Issue("informational", "no problems found", "information")]


def _identity_issues(
    resource: dict[str, Any], resource_type: str, resource_id: str | None, mode: str | None
) -> list[Issue]:
    issues = []
    declared = resource.get("resourceType")
    if declared != resource_type:
        text = f"resourceType {str(declared)[:60]!r} is not {resource_type!r} of the URL"
        issues.append(Issue("invalid", text, expression=("resourceType",)))
    body_id = resource.get("id")
    if resource_id is not None and body_id is not None and body_id != resource_id:
        text = f"id {str(body_id)[:60]!r} is not {resource_id!r} of the URL"
        issues.append(Issue("invalid", text, expression=("id",)))
    if mode == "update" and body_id is None:
        issues.append(Issue("required", "an update needs the resource's id", expression=("id",)))
    return issues
