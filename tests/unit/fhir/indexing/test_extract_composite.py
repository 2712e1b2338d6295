"""Composite entries pair components from the same element, never across elements."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from caremesh.fhir.indexing.entries import (
    CompositeEntry,
    DateEntry,
    QuantityEntry,
    ReferenceEntry,
    TokenEntry,
)
from caremesh.fhir.indexing.extract import Indexer

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def composites(indexer: Indexer, resource: dict[str, Any], param: str) -> set[tuple[Any, ...]]:
    """Each composite entry as a tuple of its parts' (code or value) for readable assertions."""
    found = set()
    for entry in indexer.entries(resource):
        if isinstance(entry, CompositeEntry) and entry.param == param:
            assert all(part.param == param for part in entry.parts)
            found.add(tuple(_short(part) for part in entry.parts))
    return found


def _short(part: Any) -> Any:
    if isinstance(part, TokenEntry):
        return part.code
    if isinstance(part, QuantityEntry):
        return part.value
    if isinstance(part, ReferenceEntry):
        return f"{part.target_type}/{part.target_id}"
    return getattr(part, "value", None)


def _quantity(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "mm[Hg]", "system": UCUM, "code": "mm[Hg]"}


BLOOD_PRESSURE = {
    "resourceType": "Observation",
    "code": {"coding": [{"system": LOINC, "code": "85354-9"}], "text": "Blood pressure"},
    "component": [
        {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": _quantity(120)},
        {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, "valueQuantity": _quantity(80)},
    ],
}


def test_components_pair_code_and_value_of_the_same_component_only(indexer: Indexer) -> None:
    assert composites(indexer, BLOOD_PRESSURE, "component-code-value-quantity") == {
        ("8480-6", Decimal(120)),
        ("8462-4", Decimal(80)),
    }


def test_combo_pairs_include_the_observation_itself(indexer: Indexer) -> None:
    weight = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}, {"system": "urn:local", "code": "w"}]},
        "valueQuantity": {"value": 70, "unit": "kg"},
        "component": [{"code": {"coding": [{"code": "extra"}]}, "valueQuantity": {"value": 1}}],
    }
    assert composites(indexer, weight, "combo-code-value-quantity") == {
        ("29463-7", Decimal(70)),
        ("w", Decimal(70)),  # every coding of the element pairs with that element's value
        ("extra", Decimal(1)),
    }
    assert composites(indexer, weight, "code-value-quantity") == {
        ("29463-7", Decimal(70)),
        ("w", Decimal(70)),
    }
    assert composites(indexer, BLOOD_PRESSURE, "code-value-quantity") == set()  # no value of its own


def test_concept_and_date_composites(indexer: Indexer) -> None:
    observation = {
        "resourceType": "Observation",
        "code": {"coding": [{"system": LOINC, "code": "x"}], "text": "only text is not a code"},
        "valueCodeableConcept": {"coding": [{"system": "urn:sct", "code": "positive"}], "text": "Positive"},
    }
    assert composites(indexer, observation, "code-value-concept") == {("x", "positive")}
    dated = {"resourceType": "Observation", "code": {"coding": [{"code": "d"}]}, "valueDateTime": "2020-02"}
    (entry,) = [
        e for e in indexer.entries(dated) if isinstance(e, CompositeEntry) and e.param == "code-value-date"
    ]
    code, date = entry.parts
    assert isinstance(code, TokenEntry) and isinstance(date, DateEntry)
    assert code.code == "d" and (date.low.month, date.high.day) == (2, 29)


def test_document_relationship_pairs_target_and_code_despite_the_r4_errata(indexer: Indexer) -> None:
    document = {
        "resourceType": "DocumentReference",
        "relatesTo": [
            {"code": "replaces", "target": {"reference": "DocumentReference/old"}},
            {"code": "appends", "target": {"reference": "DocumentReference/base"}},
        ],
    }
    assert composites(indexer, document, "relationship") == {
        ("DocumentReference/old", "replaces"),
        ("DocumentReference/base", "appends"),
    }


def test_three_component_composites_read_the_resource_variable(indexer: Indexer) -> None:
    sequence = {
        "resourceType": "MolecularSequence",
        "referenceSeq": {"chromosome": {"coding": [{"code": "1"}]}, "windowStart": 10, "windowEnd": 20},
        "variant": [{"start": 11, "end": 12}, {"start": 15, "end": 16}],
    }
    assert composites(indexer, sequence, "chromosome-variant-coordinate") == {
        ("1", Decimal(11), Decimal(12)),
        ("1", Decimal(15), Decimal(16)),
    }
    assert composites(indexer, sequence, "chromosome-window-coordinate") == {("1", Decimal(10), Decimal(20))}


def test_a_component_without_a_value_gives_no_composite(indexer: Indexer) -> None:
    partial = {
        "resourceType": "Observation",
        "component": [
            {"code": {"coding": [{"code": "a"}]}},
            {"valueQuantity": {"value": 3}},
        ],
    }
    assert composites(indexer, partial, "component-code-value-quantity") == set()
