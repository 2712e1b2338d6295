"""A resource body arriving for create or update: parsed once, checked, validated.

Everything here is CPU work that needs no database, so it runs before the write transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from caremesh.fhir.ids import require_id
from caremesh.fhir.outcome import FhirError, Issue

_FAILING = frozenset({"fatal", "error"})
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class ResourceValidator(Protocol):
    def validate(self, resource: Any, *, resource_type: str | None = None) -> list[Issue]: ...


@dataclass(slots=True)
class Incoming:
    resource_type: str
    resource: dict[str, Any]  # orjson's parse: what the validator and the indexer read
    body: bytes  # the client's bytes, stamped with id and meta (numbers kept exactly) when written


def parse_resource(body: bytes, resource_type: str) -> dict[str, Any]:
    """The JSON object in ``body``, whose resourceType must be ``resource_type`` (400 otherwise)."""
    if not body.strip():
        raise FhirError.single(400, "required", "the request has no body: a resource is expected")
    try:
        resource = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise FhirError.single(400, "structure", f"the body is not valid JSON: {error}") from None
    if not isinstance(resource, dict):
        raise FhirError.single(400, "structure", "the body must be a JSON object (a FHIR resource)")
    if b"\\u0000" in body and _NUL_ESCAPE.search(body):
        # FHIR strings exclude control characters, and PostgreSQL text cannot hold U+0000 at all.
        raise FhirError.single(400, "invalid", "strings must not contain the character U+0000")
    declared = resource.get("resourceType")
    if declared is None:
        raise FhirError.single(400, "required", "the resource has no resourceType", "resourceType")
    if declared != resource_type:
        shown = declared if isinstance(declared, str) else orjson.dumps(declared).decode()
        raise FhirError.single(
            400,
            "invalid",
            f"resourceType {shown[:80]!r} does not match {resource_type!r} in the URL",
            "resourceType",
        )
    return resource


def require_body_id(resource: dict[str, Any], url_id: str) -> None:
    """An update names its resource twice, in the URL and the body; both must agree (400)."""
    body_id = resource.get("id")
    if body_id is None:
        raise FhirError.single(400, "required", f"the resource must carry id {url_id!r}, as in the URL", "id")
    if body_id != url_id:
        shown = body_id if isinstance(body_id, str) else orjson.dumps(body_id).decode()
        raise FhirError.single(
            400, "invalid", f"id {shown[:80]!r} in the body does not match {url_id!r} in the URL", "id"
        )


class Intake:
    """Turns request bodies into validated :class:`Incoming` resources."""

    def __init__(self, validator: ResourceValidator) -> None:
        self._validator = validator

    def for_create(self, body: bytes, resource_type: str) -> Incoming:
        """A create ignores any id in the body (the server assigns one), as FHIR says it shall."""
        resource = parse_resource(body, resource_type)
        resource.pop("id", None)
        return self._validated(resource_type, resource, body)

    def for_update(self, body: bytes, resource_type: str, resource_id: str) -> Incoming:
        require_id(resource_id, "id")
        resource = parse_resource(body, resource_type)
        require_body_id(resource, resource_id)
        return self._validated(resource_type, resource, body)

    def for_conditional_update(self, body: bytes, resource_type: str) -> Incoming:
        """The id, if the body has one, must then agree with the match (checked once it is known)."""
        resource = parse_resource(body, resource_type)
        body_id = resource.get("id")
        if body_id is not None and not isinstance(body_id, str):
            raise FhirError.single(400, "structure", "id must be a string", "id")
        if body_id is not None:
            require_id(body_id, "id")
        return self._validated(resource_type, resource, body)

    def _validated(self, resource_type: str, resource: dict[str, Any], body: bytes) -> Incoming:
        issues = self._validator.validate(resource, resource_type=resource_type)
        if any(issue.severity in _FAILING for issue in issues):
            raise FhirError(400, [issue for issue in issues if issue.severity in _FAILING])
        return Incoming(resource_type, resource, body)
