"""Every R4 search-parameter expression compiles; unsupported FHIRPath fails at compile time."""

from __future__ import annotations

import time

import pytest

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.indexing.fhir_types import TypeModel
from caremesh.fhir.indexing.fhirpath import Compiler, FhirPathCompileError, compile_expression


def _expressions(definitions: Definitions) -> list[tuple[str, str, str]]:
    """(resource type, parameter code, expression) of every indexed parameter."""
    found = []
    for resource_type, params in sorted(definitions.by_type.items()):
        for code, param in sorted(params.items()):
            if param.expression is None or param.type == "special":
                continue
            found.append((resource_type, code, param.expression))
    return found


def test_every_r4_expression_compiles_to_a_typed_result(definitions: Definitions, model: TypeModel) -> None:
    compiler = Compiler(model)
    expressions = _expressions(definitions)
    distinct = {expression for _, _, expression in expressions}
    for resource_type, code, expression in expressions:
        compiled = compiler.compile(expression, frozenset({resource_type}), resource_type)
        assert compiled.types, f"{resource_type}.{code}: {expression} can never yield a value"
    assert len(expressions) > 2500
    assert len(distinct) > 1000  # the bundle's 1,378 parameters share some expressions


def test_every_composite_component_compiles_against_its_element(
    definitions: Definitions, model: TypeModel
) -> None:
    compiler = Compiler(model)
    checked = 0
    for resource_type, params in definitions.by_type.items():
        for param in params.values():
            if param.type != "composite" or param.expression is None:
                continue
            element = compiler.compile(param.expression, frozenset({resource_type}), resource_type)
            for component in param.components:
                assert component.definition in definitions.by_url
                compiled = compiler.compile(component.expression, element.types, resource_type)
                assert compiled.types, f"{param.url}: {component.expression}"
                checked += 1
    assert checked > 80


def test_the_only_unindexed_result_types_are_the_ones_no_entry_can_hold(indexer: Indexer) -> None:
    # Each of these is an element a parameter's expression reaches but its type cannot represent:
    # e.g. Procedure.performed as a string or an Age for the date parameter "date".
    assert indexer.unindexed_types == {
        ("CarePlan", "activity-date"): {"string"},
        ("Consent", "source-reference"): {"Attachment"},
        ("Group", "characteristic-value$value"): {"Quantity", "Range", "Reference"},
        ("Immunization", "date"): {"string"},
        ("Observation", "combo-value-quantity"): {"SampledData"},
        ("Observation", "component-value-quantity"): {"SampledData"},
        ("Observation", "value-quantity"): {"SampledData"},
        ("Procedure", "date"): {"Age", "Range", "string"},
    }


def test_a_path_for_another_resource_type_compiles_away(model: TypeModel) -> None:
    evaluate = compile_expression("Patient.name | Group.name", "Group", model)
    assert evaluate({"resourceType": "Group", "name": "G"}) == [("G", "string")]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("Patient.name.select(given)", "unsupported function select()"),
        ("Patient.birthDate + 1", "unsupported operator '+'"),
        ("Patient.birthDate < @2000", "unexpected character"),
        ("Patient.name.given.where($index = 0)", "unsupported variable '$index'"),
        ("Patient.nickname", "unknown element 'nickname'"),
        ("Patient.name.ofType(Foo)", "unknown type 'Foo'"),
        ("Patient.generalPractitioner.resolve().name", "navigation to 'name' after resolve()"),
        ("Patient.name[%x]", "only integer literal indexers"),
        ("%ucum", "unsupported variable '%ucum'"),
        ("Patient.name.where(", "unexpected 'end'"),
        ("-Patient.birthDate", "unsupported unary operator"),
        ("Patient.name.where()", "where() takes 1 argument(s), got 0"),
        ("Patient.gender.resolve()", "resolve() on ['code']"),
    ],
)
def test_unsupported_fhirpath_is_a_clear_compile_error(
    model: TypeModel, expression: str, message: str
) -> None:
    with pytest.raises(FhirPathCompileError) as raised:
        compile_expression(expression, "Patient", model)
    assert message in str(raised.value)
    assert expression in str(raised.value)


def test_building_the_indexer_compiles_everything_quickly(definitions: Definitions) -> None:
    started = time.perf_counter()
    Indexer(definitions)
    assert time.perf_counter() - started < 5.0
