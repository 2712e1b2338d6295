"""Index entries of real (synthetic) Synthea resources, after a transaction's reference rewriting."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

from caremesh.fhir.indexing.entries import (
    CompositeEntry,
    DateEntry,
    IndexEntry,
    QuantityEntry,
    ReferenceEntry,
    StringEntry,
    TokenEntry,
)
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.indexing.normalize import parse_exact

PATIENT_ID = "d78af07c-9cb9-4f31-9b11-c45a28f2eec8"


def by_id(resources: list[dict[str, Any]], resource_id: str) -> dict[str, Any]:
    return next(resource for resource in resources if resource["id"] == resource_id)


def of(entries: list[IndexEntry], param: str) -> set[IndexEntry]:
    return {entry for entry in entries if entry.param == param}


def test_patient(indexer: Indexer, synthea_resources: list[dict[str, Any]]) -> None:
    entries = indexer.entries(by_id(synthea_resources, PATIENT_ID))
    assert of(entries, "family") == {StringEntry("family", "kreiger", "Kreiger")}
    assert of(entries, "given") == {StringEntry("given", "clemente", "Clemente")}
    assert of(entries, "birthdate") == {
        DateEntry(
            "birthdate",
            datetime(1984, 7, 2, tzinfo=UTC),
            datetime(1984, 7, 2, 23, 59, 59, 999999, tzinfo=UTC),
        )
    }
    ssn = TokenEntry(
        "identifier", "http://hl7.org/fhir/sid/us-ssn", "999-48-8934", "social security number",
        "http://terminology.hl7.org/CodeSystem/v2-0203", "SS",
    )  # fmt: skip
    assert ssn in entries
    assert len(of(entries, "identifier")) == 5
    assert of(entries, "gender") == {TokenEntry("gender", None, "male")}
    assert of(entries, "address-city") == {StringEntry("address-city", "wilmington", "Wilmington")}
    assert of(entries, "deceased") == {TokenEntry("deceased", None, "false")}


def test_observation(indexer: Indexer, synthea_resources: list[dict[str, Any]]) -> None:
    entries = indexer.entries(by_id(synthea_resources, "2fff439b-abfd-42a4-b17c-07f2cc59fbc9"))
    assert of(entries, "code") == {TokenEntry("code", "http://loinc.org", "8302-2", "body height")}
    assert of(entries, "subject") == {ReferenceEntry("subject", "Patient", PATIENT_ID)}
    assert of(entries, "patient") == {ReferenceEntry("patient", "Patient", PATIENT_ID)}
    assert of(entries, "encounter") == {
        ReferenceEntry("encounter", "Encounter", "afcee359-ffbb-4ae0-b54f-547eb3c58e68")
    }
    effective = datetime(2012, 9, 10, 15, 29, 24, tzinfo=UTC)
    assert of(entries, "date") == {DateEntry("date", effective, effective.replace(microsecond=999999))}
    value = Decimal("168.80253764416227")
    ulp = Decimal("0.000000000000005")
    assert of(entries, "value-quantity") == {
        QuantityEntry(
            "value-quantity", "http://unitsofmeasure.org", "cm", "cm", value, value - ulp, value + ulp
        )
    }
    assert of(entries, "category") == {
        TokenEntry(
            "category",
            "http://terminology.hl7.org/CodeSystem/observation-category",
            "vital-signs",
            "vital-signs",
        )
    }


def test_condition(indexer: Indexer, synthea_resources: list[dict[str, Any]]) -> None:
    condition = next(r for r in synthea_resources if r["resourceType"] == "Condition")
    entries = indexer.entries(condition)
    coding = condition["code"]["coding"][0]
    assert TokenEntry("code", "http://snomed.info/sct", coding["code"], coding["display"].lower()) in of(
        entries, "code"
    )
    assert of(entries, "subject") == {ReferenceEntry("subject", "Patient", PATIENT_ID)}
    (onset,) = of(entries, "onset-date")
    assert isinstance(onset, DateEntry)
    assert onset.low.isoformat().startswith(condition["onsetDateTime"][:19])


def test_every_resource_indexes_and_blood_pressures_pair_per_component(
    indexer: Indexer, synthea_resources: list[dict[str, Any]]
) -> None:
    per_type: Counter[str] = Counter()
    for resource in synthea_resources:
        entries = indexer.entries(resource)
        assert TokenEntry("_id", None, resource["id"]) in entries
        per_type[resource["resourceType"]] += len(entries)
        for entry in of(entries, "component-code-value-quantity"):
            assert isinstance(entry, CompositeEntry)
            code, quantity = entry.parts
            assert isinstance(code, TokenEntry) and isinstance(quantity, QuantityEntry)
            values = [
                c["valueQuantity"]["value"]
                for c in resource["component"]
                if c["code"]["coding"][0]["code"] == code.code
            ]
            assert values == [quantity.value]
    assert set(per_type) >= {"Patient", "Observation", "Condition", "Encounter", "Claim", "Immunization"}


def test_orjson_and_exact_parsing_index_alike_when_no_decimal_ends_in_zero(
    indexer: Indexer, synthea_bundle_bytes: bytes
) -> None:
    fast = [entry["resource"] for entry in orjson.loads(synthea_bundle_bytes)["entry"]]
    exact = [entry["resource"] for entry in parse_exact(synthea_bundle_bytes)["entry"]]
    assert [indexer.entries(r) for r in fast] == [indexer.entries(r) for r in exact]
