"""What the JSON schema alone gets wrong: primitive extensions, aligned arrays, choices, limits."""

from __future__ import annotations

from typing import Any

import orjson

from caremesh.fhir.validation import Validator
from caremesh.fhir.validation.validator import MAX_ISSUES


def _patient(**elements: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", **elements}


def test_primitive_extensions_are_allowed_beside_or_instead_of_values(validator: Validator) -> None:
    absent = {
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}
        ]
    }
    assert validator.validate(_patient(birthDate="1970", _birthDate=absent)) == []
    assert validator.validate(_patient(_birthDate=absent)) == []
    # a required primitive given only as an extension is present
    observation = {"resourceType": "Observation", "_status": absent, "code": {"text": "x"}}
    assert validator.validate(observation) == []


def test_nulls_keep_repeating_primitives_aligned_with_their_extensions(validator: Validator) -> None:
    extension = {"extension": [{"url": "http://x.org/e", "valueString": "y"}]}
    name = {"given": ["Alex", None], "_given": [None, extension]}
    assert validator.validate(_patient(name=[name])) == []
    issues = validator.validate(_patient(name=[{"given": ["Alex", None]}]))
    assert [(i.code, i.expression[0]) for i in issues] == [("structure", "Patient.name[0].given[1]")]
    issues = validator.validate(_patient(name=[{"given": ["A"], "_given": [extension, extension]}]))
    assert [(i.code, i.expression[0]) for i in issues] == [("structure", "Patient.name[0].given")]


def test_a_null_where_nothing_repeats_is_a_type_error(validator: Validator) -> None:
    [issue] = validator.validate(_patient(birthDate=None))
    assert (issue.code, issue.expression) == ("structure", ("Patient.birthDate",))


def test_errors_inside_primitive_extensions_are_located_on_the_element(validator: Validator) -> None:
    [issue] = validator.validate(
        _patient(_birthDate={"extension": [{"url": "http://x.org/e", "valueDate": "1970-1"}]})
    )
    assert (issue.code, issue.expression) == ("value", ("Patient.birthDate.extension[0].valueDate",))


def test_a_required_choice_must_be_present(validator: Validator) -> None:
    context = {
        "code": {"system": "http://terminology.hl7.org/CodeSystem/usage-context-type", "code": "focus"}
    }
    value_set = {"resourceType": "ValueSet", "status": "draft", "useContext": [context]}
    [issue] = validator.validate(value_set)
    assert (issue.code, issue.expression) == ("required", ("ValueSet.useContext[0].value",))
    assert "value[x]" in issue.diagnostics


def test_a_value_and_its_own_extension_are_one_choice(validator: Validator) -> None:
    extension = {"extension": [{"url": "http://x.org/e", "valueString": "y"}]}
    assert validator.validate(_patient(deceasedBoolean=False, _deceasedBoolean=extension)) == []


def test_every_problem_is_reported_not_just_the_first(validator: Validator) -> None:
    issues = validator.validate(_patient(gender="m", birthDate="1970-13", active="no", x=1))
    assert {i.expression[0] for i in issues} == {
        "Patient.gender",
        "Patient.birthDate",
        "Patient.active",
        "Patient.x",
    }


def test_a_wrong_json_type_is_reported_once(validator: Validator) -> None:
    [issue] = validator.validate(_patient(birthDate=19700101))
    assert issue.diagnostics == "Expected a string, found 19700101"


def test_long_values_are_not_echoed_whole(validator: Validator) -> None:
    secret = "Mrs Jane Example of 12 Long Street, Sometown, born 1970-01-01, allergic to everything"
    [issue] = validator.validate(_patient(birthDate=secret))
    assert secret not in issue.diagnostics and secret[:40] in issue.diagnostics


def test_unknown_element_names_are_not_echoed_whole(validator: Validator) -> None:
    name = "n" * 5000
    [issue] = validator.validate(_patient(**{name: 1}))
    assert len(issue.diagnostics) < 100 and len(issue.expression[0]) < 100


def test_many_problems_are_capped(validator: Validator) -> None:
    issues = validator.validate(_patient(**{f"unknown{i}": i for i in range(MAX_ISSUES * 3)}))
    assert len(issues) == MAX_ISSUES + 1
    assert issues[-1].severity == "information" and "more issues" in issues[-1].diagnostics


def test_deep_nesting_is_an_issue_not_a_crash(validator: Validator) -> None:
    extension: dict[str, Any] = {"url": "http://x.org/e", "valueString": "y"}
    for _ in range(2000):
        extension = {"url": "http://x.org/e", "extension": [extension]}
    issues = validator.validate(_patient(extension=[extension]))
    assert issues and issues[0].code == "structure"


def test_numbers_out_of_the_fhir_range(validator: Validator) -> None:
    [issue] = validator.validate(_patient(multipleBirthInteger=2**40))
    assert (issue.code, issue.expression) == ("value", ("Patient.multipleBirthInteger",))
    [issue] = validator.validate(orjson.loads(b'{"resourceType":"Patient","multipleBirthInteger":true}'))
    assert issue.code == "structure"


def test_issue_codes_come_from_the_issue_type_value_set(validator: Validator) -> None:
    issue_types = {"structure", "required", "value", "invariant", "invalid", "code-invalid", "not-supported"}
    bad = _patient(
        id="a b",
        gender="x",
        y=1,
        link=[{"type": "seealso"}],
        managingOrganization={"reference": "x y"},
        contained=[{"resourceType": "Nope"}],
    )
    codes = {i.code for i in validator.validate(bad, resource_type="Patient")}
    assert codes <= issue_types and len(codes) >= 4
