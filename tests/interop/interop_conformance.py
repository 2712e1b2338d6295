"""Conformance checks of response bodies: the fhir.resources R4B models and our own R4 validator."""

from __future__ import annotations

from typing import Any

import httpx
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from caremesh.fhir.validation.validator import Validator

FHIR_JSON = "application/fhir+json"


def fhir_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON, after checking that it is declared as FHIR JSON."""
    declared = response.headers.get("content-type", "")
    assert declared.split(";")[0].strip() == FHIR_JSON, (response.status_code, declared, response.text[:300])
    body = response.json()
    assert isinstance(body, dict), body
    return body


def assert_r4b_valid(body: dict[str, Any]) -> None:
    """The body parses as its fhir.resources R4B model (a Bundle parses with every entry)."""
    resource_type = body.get("resourceType")
    assert isinstance(resource_type, str), body
    try:
        get_fhir_model_class(resource_type).model_validate(body)
    except ValidationError as error:
        raise AssertionError(f"{resource_type} is not a valid R4B resource: {error}") from error


def stored_resources(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The stored resources a body carries: itself, or a Bundle's entry resources."""
    if body["resourceType"] == "OperationOutcome":
        return []
    if body["resourceType"] != "Bundle":
        return [body]
    entries = [entry.get("resource") for entry in body.get("entry", [])]
    return [res for res in entries if res is not None and res["resourceType"] != "OperationOutcome"]


def assert_schema_valid(validator: Validator, resource: dict[str, Any]) -> None:
    issues = validator.validate(resource)
    assert issues == [], (resource["resourceType"], resource.get("id"), [i.to_json() for i in issues])


def conformant(response: httpx.Response, validator: Validator, status: int) -> dict[str, Any]:
    """Check one response of the tour: status, FHIR JSON, R4B models, R4 schema of what is stored."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = fhir_body(response)
    assert_r4b_valid(body)
    for resource in stored_resources(body):
        assert "meta" in resource and "versionId" in resource["meta"], resource
        assert_schema_valid(validator, resource)
    return body


def outcome(response: httpx.Response, status: int) -> dict[str, Any]:
    """An error response: the status, an R4B-valid OperationOutcome with at least one error issue."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = fhir_body(response)
    assert body["resourceType"] == "OperationOutcome", body
    assert_r4b_valid(body)
    assert any(issue["severity"] in ("error", "fatal") for issue in body["issue"]), body
    return body
