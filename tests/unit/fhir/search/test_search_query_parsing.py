"""Resolving a query against the R4 definitions: strict/lenient handling, precise 400s, chains."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caremesh.fhir.definitions import load
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.search.criteria import Chain, Has, IdFilter, Leaf, Missing
from caremesh.fhir.search.query import Query, parse_query
from caremesh.fhir.search.values import OfTypeValue, ReferenceValue, TokenValue

BASE = "http://fhir.test/fhir/R4"


def parse(resource_type: str | None, params: list[tuple[str, str]], handling: str = "lenient") -> Query:
    return parse_query(
        load(), resource_type, params, base_url=BASE, handling=handling, now=datetime(2025, 1, 1, tzinfo=UTC)
    )


def error_of(
    resource_type: str | None, params: list[tuple[str, str]], handling: str = "lenient"
) -> FhirError:
    with pytest.raises(FhirError) as caught:
        parse(resource_type, params, handling)
    assert caught.value.status == 400
    return caught.value


def test_unknown_parameter_is_a_warning_when_lenient_and_a_400_when_strict() -> None:
    query = parse("Patient", [("nonsense", "1"), ("family", "x")])
    assert len(query.criteria) == 1
    assert [i.severity for i in query.issues] == ["warning"]
    assert "nonsense" in query.issues[0].diagnostics
    assert query.used == [("family", "x")]
    error = error_of("Patient", [("nonsense", "1")], "strict")
    assert error.issues[0].expression == ("nonsense",)
    assert "nonsense" in error.issues[0].diagnostics


def test_special_parameters_without_an_index_are_unsupported() -> None:
    for name in ("_text", "_content", "_query", "_list", "_filter", "_contained"):
        assert error_of("Patient", [(name, "x")], "strict").issues[0].code == "not-supported"
    assert error_of("Location", [("near", "1|2|3|km")], "strict").issues[0].code == "not-supported"


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ([("birthdate", "2020-13-01")], "invalid date '2020-13-01'"),
        ([("birthdate", "yesterday")], "invalid date 'yesterday'"),
        ([("birthdate", "xx2020")], "unknown prefix 'xx'"),
        ([("birthdate", "gt")], "invalid date ''"),
        ([("family:regex", "x")], "unknown modifier :regex"),
        ([("_count", "-1")], "non-negative integer"),
        ([("_count", "ten")], "non-negative integer"),
        ([("_total", "maybe")], "expected one of none, estimate, accurate"),
        ([("_summary", "short")], "expected one of true, text, data, count, false"),
        ([("gender:missing", "yes")], ":missing takes true or false"),
        ([("general-practitioner:Observation", "1")], "Observation is not a target type"),
        ([("_include", "Patient")], "expected Type:parameter[:targetType]"),
        ([("_summary", "true"), ("_elements", "name")], "cannot be used together"),
    ],
)
def test_invalid_values_are_400s_naming_the_parameter(params: list[tuple[str, str]], fragment: str) -> None:
    error = error_of("Patient", params)
    assert fragment in error.issues[0].diagnostics
    assert error.issues[0].code == "invalid"


def test_number_and_quantity_values_are_checked() -> None:
    assert (
        "invalid number 'abc'" in error_of("RiskAssessment", [("probability", "abc")]).issues[0].diagnostics
    )
    assert (
        "invalid number 'x5'" in error_of("Observation", [("value-quantity", "x5||mg")]).issues[0].diagnostics
    )
    assert (
        "invalid quantity '5|x'" in error_of("Observation", [("value-quantity", "5|x")]).issues[0].diagnostics
    )
    assert (
        "expected [prefix]number"
        in error_of("Observation", [("value-quantity", "5|a|b|c")]).issues[0].diagnostics
    )


def test_unsupported_modifiers_say_why() -> None:
    for modifier in ("below", "above"):
        error = error_of("Observation", [(f"code:{modifier}", "http://loinc.org|1")])
        assert error.issues[0].code == "not-supported"
        assert "terminology service" in error.issues[0].diagnostics
        assert f":{modifier} on a token" in error.issues[0].diagnostics
    assert "terminology service" in error_of("Observation", [("code:in", "http://vs")]).issues[0].diagnostics


def test_of_type_needs_all_three_parts() -> None:
    query = parse("Patient", [("identifier:of-type", r"http://t|MR|12\|3")])
    leaf = query.criteria[0]
    assert isinstance(leaf, Leaf) and leaf.values == (OfTypeValue("http://t", "MR", "12|3"),)
    requisition = parse("ServiceRequest", [("requisition:of-type", "http://t|PLAC|9")])  # an Identifier too
    assert requisition.criteria[0].values == (OfTypeValue("http://t", "PLAC", "9"),)  # type: ignore[union-attr]
    for resource_type, name in (("Observation", "code"), ("MessageHeader", "response-id"), (None, "_tag")):
        error = error_of(resource_type, [(f"{name}:of-type", "http://t|MR|1")])
        assert error.issues[0].code == "invalid" and "holds none" in error.issues[0].diagnostics
    for value in ("MR|123", "http://t||123", "|MR|123", "http://t|MR|", "a|b|c|d"):
        error = error_of("Patient", [("identifier:of-type", value)])
        assert error.issues[0].code == "invalid", value
        assert "type-system|type-code|value" in error.issues[0].diagnostics


def test_typed_values() -> None:
    query = parse(
        "Observation",
        [("code", "http://loinc.org|1,2"), ("subject", f"{BASE}/Patient/p1"), ("status:missing", "true")],
    )
    code, subject, status = query.criteria
    assert isinstance(code, Leaf) and code.values == (
        TokenValue("1", "http://loinc.org", True),
        TokenValue("2"),
    )
    assert isinstance(subject, Leaf) and subject.values == (ReferenceValue("Patient", "p1"),)
    assert status == Missing(status.param, True)  # type: ignore[union-attr]


def test_references_in_every_form() -> None:
    def value(text: str, name: str = "subject") -> ReferenceValue:
        leaf = parse("Observation", [(name, text)]).criteria[0]
        assert isinstance(leaf, Leaf)
        return leaf.values[0]

    assert value("Patient/p1") == ReferenceValue("Patient", "p1")
    assert value("p1") == ReferenceValue(None, "p1")
    assert value("p1", "subject:Patient") == ReferenceValue("Patient", "p1")
    assert value("Patient/p1/_history/3") == ReferenceValue("Patient", "p1")
    assert value("http://elsewhere.test/fhir/Patient/p1") == ReferenceValue(
        url="http://elsewhere.test/fhir/Patient/p1"
    )
    error = error_of("Observation", [("subject:Group", "Patient/p1")])
    assert "contradicts the type modifier" in error.issues[0].diagnostics


def test_chains_resolve_against_each_target_that_has_the_parameter() -> None:
    chain = parse("Observation", [("subject.name", "x")]).criteria[0]
    assert isinstance(chain, Chain)
    assert [t for t, _ in chain.targets] == ["Patient", "Location"]  # Group and Device have no "name"
    family = parse("Observation", [("subject.family", "x")]).criteria[0]
    assert isinstance(family, Chain) and [t for t, _ in family.targets] == ["Patient"]
    deep = parse("Observation", [("subject:Patient.organization.name", "x")]).criteria[0]
    assert isinstance(deep, Chain) and isinstance(deep.targets[0][1], Chain)
    query = parse("Observation", [("subject:Patient.nonsense", "x")])
    assert not query.criteria and query.issues
    error = error_of("Observation", [("code.name", "x")])
    assert "cannot be chained" in error.issues[0].diagnostics


def test_reverse_chains() -> None:
    has = parse("Patient", [("_has:Observation:patient:code", "1234")]).criteria[0]
    assert isinstance(has, Has) and has.source_type == "Observation"
    nested = parse(
        "Patient", [("_has:Observation:patient:_has:Provenance:target:agent", "Practitioner/1")]
    ).criteria[0]
    assert isinstance(nested, Has) and isinstance(nested.inner, Has)
    assert (
        "is not a reference parameter"
        in error_of("Patient", [("_has:Observation:code:code", "1")]).issues[0].diagnostics
    )
    assert (
        "cannot refer to"
        in error_of("Patient", [("_has:Observation:encounter:code", "1")]).issues[0].diagnostics
    )


def test_system_search_accepts_only_parameters_common_to_every_type() -> None:
    query = parse(None, [("_id", "a"), ("_lastUpdated", "gt2020"), ("_tag", "x|y"), ("family", "z")])
    assert isinstance(query.criteria[0], IdFilter)
    assert len(query.criteria) == 3 and "use _type" in query.issues[0].diagnostics
    typed = parse(None, [("_type", "Patient,Practitioner"), ("family", "z")])
    assert typed.scope == ("Patient", "Practitioner") and len(typed.criteria) == 1
    assert "unknown resource type 'Nope'" in error_of(None, [("_type", "Nope")]).issues[0].diagnostics


def test_empty_values_are_ignored() -> None:
    query = parse("Patient", [("family", ""), ("gender", ",")])
    assert query.criteria == [] and query.issues == []


def test_count_is_capped() -> None:
    query = parse("Patient", [("_count", "5000")])
    assert query.control.count == 1000
    assert query.issues[0].severity == "information"


@pytest.mark.parametrize(
    "name",
    [
        "family'; DROP TABLE fhir_resource; --",
        "family) OR 1=1 --",
        "name.where(true)",
        "Patient.name.family",
        "_has:Observation:patient:code) OR (1=1",
        "family:exact'--",
    ],
)
def test_injection_attempts_in_names_are_unknown_parameters(name: str) -> None:
    query = parse("Patient", [(name, "x")])
    assert query.criteria == []
    error = error_of("Patient", [(name, "x")], "strict")
    assert error.issues[0].expression == (name,)
