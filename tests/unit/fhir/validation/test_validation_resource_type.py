"""resourceType: missing, unknown, vendor-only, or not the type the request expects."""

from __future__ import annotations

from typing import Any

import pytest

from caremesh.fhir.validation import Validator

PATIENT: dict[str, Any] = {"resourceType": "Patient", "id": "p1", "gender": "female"}
OBSERVATION: dict[str, Any] = {"resourceType": "Observation", "status": "final", "code": {"text": "pulse"}}


def test_missing_resource_type_is_required(validator: Validator) -> None:
    [issue] = validator.validate({"id": "x"})
    assert (issue.code, issue.expression) == ("required", ("Resource.resourceType",))


def test_missing_resource_type_of_an_expected_type_is_required_and_the_rest_still_checked(
    validator: Validator,
) -> None:
    issues = validator.validate({"id": "p1", "gender": "x"}, resource_type="Patient")
    assert {(i.code, i.expression[0]) for i in issues} == {
        ("required", "Patient.resourceType"),
        ("code-invalid", "Patient.gender"),
    }


def test_wrong_resource_type_for_the_request(validator: Validator) -> None:
    [issue] = validator.validate(OBSERVATION, resource_type="Patient")
    assert (issue.code, issue.expression) == ("invalid", ("Patient.resourceType",))
    assert "'Observation'" in issue.diagnostics and "'Patient'" in issue.diagnostics


@pytest.mark.parametrize("declared", ["Nope", "Project", "patient", 7, None])
def test_unknown_resource_types_are_structure_errors(validator: Validator, declared: Any) -> None:
    # "Project" is a vendor type that the bundled schema file also defines: it is not R4.
    resource: dict[str, Any] = {"id": "x"} if declared is None else {"resourceType": declared}
    [issue] = validator.validate(resource)
    assert issue.expression == ("Resource.resourceType",)
    assert issue.code == ("required" if declared is None else "structure")


@pytest.mark.parametrize("payload", [[], "Patient", 3, None])
def test_a_resource_must_be_an_object(validator: Validator, payload: Any) -> None:
    [issue] = validator.validate(payload, resource_type="Patient")
    assert (issue.code, issue.expression) == ("structure", ("Patient",))


def test_an_unknown_expected_type_is_not_supported(validator: Validator) -> None:
    [issue] = validator.validate(PATIENT, resource_type="Spaceship")
    assert issue.code == "not-supported"
