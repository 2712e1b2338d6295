"""Each kind of bad input yields the right IssueType code at the right FHIRPath location."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from caremesh.fhir.validation import Validator

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "active": True,
    "name": [{"family": "Testperson", "given": ["Alex", "Sam"]}],
    "gender": "female",
    "birthDate": "1980-02-29",
    "telecom": [{"system": "phone", "value": "555-0100"}],
    "managingOrganization": {"reference": "Organization/o1"},
}
OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "o-1",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2020-01-01T10:00:00+01:00",
    "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    resource = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = value
    return resource


CASES = [
    ("unknown element", _with(PATIENT, nickname="Al"), "structure", "Patient.nickname"),
    (
        "unknown nested element",
        _with(PATIENT, name=[{"family": "X", "first": "Y"}]),
        "structure",
        "Patient.name[0].first",
    ),
    ("vendor element on Meta", _with(PATIENT, meta={"project": "x"}), "structure", "Patient.meta.project"),
    ("boolean as string", _with(PATIENT, active="yes"), "structure", "Patient.active"),
    (
        "number in a string array",
        _with(PATIENT, name=[{"given": ["A", 3]}]),
        "structure",
        "Patient.name[0].given[1]",
    ),
    ("string for a complex type", _with(PATIENT, name=["Alex"]), "structure", "Patient.name[0]"),
    (
        "single value for a repeating element",
        _with(PATIENT, telecom={"system": "phone"}),
        "structure",
        "Patient.telecom",
    ),
    ("array for a single element", _with(PATIENT, birthDate=["1980"]), "structure", "Patient.birthDate"),
    (
        "fraction in an integer",
        _with(PATIENT, multipleBirthInteger=1.5),
        "structure",
        "Patient.multipleBirthInteger",
    ),
    ("empty array", _with(PATIENT, photo=[]), "structure", "Patient.photo"),
    ("empty object", _with(PATIENT, maritalStatus={}), "structure", "Patient.maritalStatus"),
    (
        "two choices at once",
        _with(PATIENT, deceasedBoolean=True, deceasedDateTime="2020"),
        "structure",
        "Patient.deceased",
    ),
    ("impossible month", _with(PATIENT, birthDate="2020-13-01"), "value", "Patient.birthDate"),
    ("day not in the month", _with(PATIENT, birthDate="2021-02-29"), "value", "Patient.birthDate"),
    ("date with a time", _with(PATIENT, birthDate="1980-02-29T10:00:00Z"), "value", "Patient.birthDate"),
    (
        "dateTime without zone",
        _with(OBSERVATION, effectiveDateTime="2020-01-01T10:00"),
        "value",
        "Observation.effectiveDateTime",
    ),
    ("instant without time", _with(OBSERVATION, issued="2020-01-01"), "value", "Observation.issued"),
    ("invalid id", _with(PATIENT, id="p_1"), "value", "Patient.id"),
    ("id too long", _with(PATIENT, id="x" * 65), "value", "Patient.id"),
    ("empty string", _with(PATIENT, name=[{"family": ""}]), "value", "Patient.name[0].family"),
    ("negative unsignedInt", _with(PATIENT, photo=[{"size": -1}]), "value", "Patient.photo[0].size"),
    ("bad code in a required binding", _with(PATIENT, gender="males"), "code-invalid", "Patient.gender"),
    ("bad status code", _with(OBSERVATION, status="done"), "code-invalid", "Observation.status"),
    (
        "bad nested code",
        _with(PATIENT, telecom=[{"system": "fax-machine"}]),
        "code-invalid",
        "Patient.telecom[0].system",
    ),
    ("missing required primitive", _with(OBSERVATION, status=None), "required", "Observation.status"),
    ("missing required complex element", _with(OBSERVATION, code=None), "required", "Observation.code"),
    (
        "missing required nested element",
        _with(PATIENT, link=[{"type": "seealso"}]),
        "required",
        "Patient.link[0].other",
    ),
    (
        "extension without url",
        _with(PATIENT, extension=[{"valueString": "x"}]),
        "required",
        "Patient.extension[0].url",
    ),
    (
        "reference with a bad id",
        _with(PATIENT, managingOrganization={"reference": "Organization/o 1"}),
        "invalid",
        "Patient.managingOrganization.reference",
    ),
    (
        "reference to an unknown type",
        _with(OBSERVATION, subject={"reference": "Person1/1"}),
        "invalid",
        "Observation.subject.reference",
    ),
    (
        "urn reference outside a bundle",
        _with(OBSERVATION, subject={"reference": "urn:uuid:8d6a4b8e-3c0e-4d47-9f37-1b6e2b4c5d6f"}),
        "invalid",
        "Observation.subject.reference",
    ),
    (
        "local reference to nothing",
        _with(PATIENT, managingOrganization={"reference": "#org"}),
        "invalid",
        "Patient.managingOrganization.reference",
    ),
    (
        "reference that is not a url",
        _with(OBSERVATION, performer=[{"reference": "just some text"}]),
        "invalid",
        "Observation.performer[0].reference",
    ),
    (
        "contained resource of a bad shape",
        _with(PATIENT, contained=[{"resourceType": "Organization", "id": "o", "name": 3}]),
        "structure",
        "Patient.contained[0].name",
    ),
    (
        "contained resource of unknown type",
        _with(PATIENT, contained=[{"resourceType": "Nope", "id": "n"}]),
        "structure",
        "Patient.contained[0].resourceType",
    ),
    (
        "contained resource without type",
        _with(PATIENT, contained=[{"id": "n"}]),
        "required",
        "Patient.contained[0].resourceType",
    ),
    (
        "contained resource that contains",
        _with(
            PATIENT,
            contained=[
                {
                    "resourceType": "Organization",
                    "id": "o",
                    "contained": [{"resourceType": "Organization", "id": "p"}],
                }
            ],
        ),
        "invariant",
        "Patient.contained[0].contained[0]",
    ),
    (
        "period ending before it starts",
        _with(PATIENT, name=[{"family": "X", "period": {"start": "2020-02-01", "end": "2020-01-31"}}]),
        "invariant",
        "Patient.name[0].period",
    ),
    (
        "quantity code without system",
        _with(OBSERVATION, valueQuantity={"value": 1, "code": "mg"}),
        "invariant",
        "Observation.valueQuantity.system",
    ),
    (
        "extension with value and extensions",
        _with(
            PATIENT,
            extension=[{"url": "u", "valueString": "x", "extension": [{"url": "v", "valueString": "y"}]}],
        ),
        "invariant",
        "Patient.extension[0]",
    ),
]


@pytest.mark.parametrize(("resource", "code", "location"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_reported_with_its_code_and_location(
    validator: Validator, resource: dict[str, Any], code: str, location: str
) -> None:
    issues = validator.validate(resource, resource_type=resource.get("resourceType") or "Patient")
    assert (code, location) in {(i.code, i.expression[0]) for i in issues}, issues
    assert all(i.severity == "error" and i.diagnostics for i in issues)


def test_the_base_resources_of_the_matrix_are_valid(validator: Validator) -> None:
    assert validator.validate(PATIENT, resource_type="Patient") == []
    assert validator.validate(OBSERVATION, resource_type="Observation") == []
