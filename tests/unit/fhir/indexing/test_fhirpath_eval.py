"""What compiled FHIRPath returns: typed nodes for choice types, filters, resolve() type tests."""

from __future__ import annotations

from typing import Any

from caremesh.fhir.indexing.fhir_types import TypeModel
from caremesh.fhir.indexing.fhirpath import compile_expression


def run(model: TypeModel, expression: str, resource: dict[str, Any]) -> list[tuple[Any, str]]:
    return compile_expression(expression, resource["resourceType"], model)(resource)


def test_choice_elements_carry_the_type_named_by_their_json_key(model: TypeModel) -> None:
    period = {"start": "2020-01-01"}
    observation = {"resourceType": "Observation", "effectivePeriod": period, "valueString": "high"}
    assert run(model, "Observation.effective", observation) == [(period, "Period")]
    assert run(model, "Observation.value", observation) == [("high", "string")]


def test_of_type_tells_a_period_from_a_date_time(model: TypeModel) -> None:
    expression = "(Observation.value.ofType(dateTime)) | (Observation.value.ofType(Period))"
    as_date_time = {"resourceType": "Observation", "valueDateTime": "2020-05"}
    as_period = {"resourceType": "Observation", "valuePeriod": {"end": "2020"}}
    as_quantity = {"resourceType": "Observation", "valueQuantity": {"value": 1}}
    assert run(model, expression, as_date_time) == [("2020-05", "dateTime")]
    assert run(model, expression, as_period) == [({"end": "2020"}, "Period")]
    assert run(model, expression, as_quantity) == []
    # FHIRPath's system type name DateTime (used by the R4 composites) means FHIR's dateTime.
    assert run(model, "Observation.value.ofType(DateTime)", as_date_time) == [("2020-05", "dateTime")]


def test_of_type_quantity_accepts_its_profiles(model: TypeModel) -> None:
    condition = {"resourceType": "Condition", "onsetAge": {"value": 40, "unit": "a"}}
    assert run(model, "Condition.onset.ofType(Quantity)", condition) == [({"value": 40, "unit": "a"}, "Age")]


def test_where_with_an_equality_keeps_matching_items_only(model: TypeModel) -> None:
    phone, email = {"system": "phone", "value": "555"}, {"system": "email", "value": "a@b.c"}
    patient = {"resourceType": "Patient", "telecom": [phone, email, {"value": "no system"}]}
    assert run(model, "Patient.telecom.where(system='phone')", patient) == [(phone, "ContactPoint")]
    assert run(model, "Patient.telecom.where(system!='phone')", patient) == [(email, "ContactPoint")]


def test_resolve_is_types_a_reference_by_its_target(model: TypeModel) -> None:
    references = [
        {"reference": "Patient/1"},
        {"reference": "Group/2"},
        {"reference": "https://other.example/fhir/Patient/3/_history/4"},
        {"reference": "#p"},
        {"reference": "#g"},
        {"type": "Patient", "identifier": {"value": "x"}},
        {"reference": "urn:uuid:6a9c5b3e-0000-4000-8000-000000000000"},
        {"display": "nobody"},
    ]
    contained = [{"resourceType": "Patient", "id": "p"}, {"resourceType": "Group", "id": "g"}]
    observation = {"resourceType": "Observation", "contained": contained, "performer": references}
    found = run(model, "Observation.performer.where(resolve() is Patient)", observation)
    assert [value for value, _ in found] == [references[0], references[2], references[3], references[5]]
    assert {node_type for _, node_type in found} == {"Reference"}


def test_deceased_is_a_boolean_whatever_its_choice_type(model: TypeModel) -> None:
    expression = "Patient.deceased.exists() and Patient.deceased != false"
    assert run(model, expression, {"resourceType": "Patient"}) == [(False, "boolean")]
    assert run(model, expression, {"resourceType": "Patient", "deceasedBoolean": False}) == [
        (False, "boolean")
    ]
    assert run(model, expression, {"resourceType": "Patient", "deceasedBoolean": True}) == [(True, "boolean")]
    assert run(model, expression, {"resourceType": "Patient", "deceasedDateTime": "2020"}) == [
        (True, "boolean")
    ]


def test_union_merges_without_duplicates(model: TypeModel) -> None:
    patient = {"resourceType": "Patient", "name": [{"family": "Doe", "given": ["Doe", "Jo"]}]}
    found = run(model, "Patient.name.family | Patient.name.given", patient)
    assert found == [("Doe", "string"), ("Jo", "string")]


def test_indexer_first_last_and_count(model: TypeModel) -> None:
    patient = {"resourceType": "Patient", "name": [{"family": "A"}, {"family": "B"}, {"family": "C"}]}
    assert run(model, "Patient.name[1].family", patient) == [("B", "string")]
    assert run(model, "Patient.name[7].family", patient) == []
    assert run(model, "Patient.name.first().family", patient) == [("A", "string")]
    assert run(model, "Patient.name.last().family", patient) == [("C", "string")]
    assert run(model, "Patient.name.count()", patient) == [(3, "integer")]


def test_bundle_entry_resource_is_typed_by_its_resource_type(model: TypeModel) -> None:
    composition = {"resourceType": "Composition", "id": "c1", "title": "t"}
    bundle = {"resourceType": "Bundle", "entry": [{"resource": composition}, {"resource": {"x": 1}}]}
    assert run(model, "Bundle.entry[0].resource", bundle) == [(composition, "Composition")]
    assert run(model, "Bundle.entry.resource.ofType(Composition).title", bundle) == [("t", "string")]


def test_extension_by_url_and_its_typed_value(model: TypeModel) -> None:
    patient = {
        "resourceType": "Patient",
        "extension": [
            {"url": "http://example.org/a", "valueCode": "M"},
            {"url": "http://example.org/b", "valueDecimal": 1.5},
        ],
    }
    assert run(model, "Patient.extension('http://example.org/b').value", patient) == [(1.5, "decimal")]


def test_resource_variable_and_this(model: TypeModel) -> None:
    patient = {"resourceType": "Patient", "gender": "other", "name": [{"family": "X"}, {}]}
    assert run(model, "Patient.name.where(%resource.gender = 'other').family", patient) == [("X", "string")]
    assert run(model, "Patient.name.where($this.family.exists()).family", patient) == [("X", "string")]
    assert run(model, "Patient.name.where(family.empty()).count()", patient) == [(1, "integer")]
    assert run(model, "Patient.name.where(family.exists().not()).count()", patient) == [(1, "integer")]


def test_or_and_is_operators(model: TypeModel) -> None:
    patient = {"resourceType": "Patient", "active": True, "gender": "male"}
    assert run(model, "Patient.active or Patient.deceased", patient) == [(True, "boolean")]
    assert run(model, "Patient.gender = 'female' or Patient.gender = 'other'", patient) == [
        (False, "boolean")
    ]
    assert run(model, "Patient.gender is code", patient) == [(True, "boolean")]
    assert run(model, "Patient.gender.is(boolean)", patient) == [(False, "boolean")]
    assert run(model, "(Patient.active as boolean)", patient) == [(True, "boolean")]


def test_malformed_shapes_yield_nothing_rather_than_failing(model: TypeModel) -> None:
    odd = {
        "resourceType": "Patient",
        "name": "not a list",
        "telecom": [None, 3, {"system": 1}],
        "generalPractitioner": [None, 3, {"reference": 5}, "Patient/1", {"reference": "Patient/"}],
    }
    assert run(model, "Patient.name.family", odd) == []
    assert run(model, "Patient.telecom.where(system='phone')", odd) == []
    assert run(model, "Patient.generalPractitioner.where(resolve() is Patient)", odd) == []
