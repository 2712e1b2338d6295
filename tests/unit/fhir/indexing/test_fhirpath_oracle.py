"""The compiled expressions agree with fhirpathpy (an independent FHIRPath engine) on Synthea data.

fhirpathpy is a test-only oracle (a dev dependency). It implements no ``resolve()``, so expressions
using it are covered by test_fhirpath_eval instead, and it does not apply a leading ``Resource.``
to concrete types, so the oracle is given the resource's own type name there.
"""

from __future__ import annotations

import json
from typing import Any

import fhirpathpy
import fhirpathpy.models as fhirpathpy_models

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.indexing.fhir_types import TypeModel
from caremesh.fhir.indexing.fhirpath import Compiler

# Choice types and filters that the Synthea bundle does not exercise.
_SYNTHETIC: list[dict[str, Any]] = [
    {
        "resourceType": "Observation",
        "id": "o1",
        "valuePeriod": {"start": "2020"},
        "effectiveTiming": {"event": ["2020"]},
    },
    {"resourceType": "Observation", "id": "o2", "valueDateTime": "2021-02"},
    {
        "resourceType": "Observation",
        "id": "o3",
        "valueString": "high",
        "component": [{"valueCodeableConcept": {"text": "t"}}],
    },
    {"resourceType": "Condition", "id": "c1", "onsetAge": {"value": 4}, "abatementString": "later"},
    {
        "resourceType": "Condition",
        "id": "c2",
        "onsetRange": {"low": {"value": 1}},
        "abatementPeriod": {"end": "2022"},
    },
    {
        "resourceType": "Patient",
        "id": "p1",
        "deceasedDateTime": "2020",
        "telecom": [{"system": "email", "value": "a@b"}],
    },
    {
        "resourceType": "Patient",
        "id": "p2",
        "deceasedBoolean": True,
        "name": [{"given": ["A", "B"], "family": "C"}],
    },
    {"resourceType": "Group", "id": "g1", "characteristic": [{"valueBoolean": True, "code": {"text": "c"}}]},
    {"resourceType": "MedicationRequest", "id": "m1", "medicationCodeableConcept": {"text": "aspirin"}},
    {
        "resourceType": "ValueSet",
        "id": "v1",
        "useContext": [{"valueQuantity": {"value": 1}}, {"valueRange": {}}],
    },
    {"resourceType": "ConceptMap", "id": "cm", "sourceUri": "http://a", "targetCanonical": "http://b"},
]


def _canonical(values: list[Any]) -> list[str]:
    return sorted(json.dumps(value, default=str, sort_keys=True) for value in values)


def test_every_resolve_free_expression_matches_the_oracle(
    definitions: Definitions, model: TypeModel, synthea_resources: list[dict[str, Any]]
) -> None:
    compiler = Compiler(model)
    oracles: dict[str, Any] = {}
    compared, mismatches = 0, []
    for resource in [*synthea_resources, *_SYNTHETIC]:
        resource_type = resource["resourceType"]
        for code, param in sorted(definitions.by_type[resource_type].items()):
            expression = param.expression
            if expression is None or param.type == "special" or "resolve()" in expression:
                continue
            compiled = compiler.compile(expression, frozenset({resource_type}), resource_type)
            ours = _canonical([value for value, _ in compiled.fn([(resource, resource_type)], resource)])
            oracle_expression = expression.replace("Resource.", f"{resource_type}.")
            if oracle_expression not in oracles:
                oracles[oracle_expression] = fhirpathpy.compile(
                    oracle_expression, fhirpathpy_models.models["r4"]
                )
            theirs = _canonical(oracles[oracle_expression](resource))
            compared += 1
            if ours != theirs:
                mismatches.append((resource_type, code, ours, theirs))
    assert compared > 2000
    assert mismatches == []
