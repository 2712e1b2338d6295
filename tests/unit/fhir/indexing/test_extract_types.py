"""Index entries for each parameter type: string, token, date, number, quantity, uri."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from caremesh.fhir.indexing.entries import (
    DateEntry,
    IndexEntry,
    NumberEntry,
    QuantityEntry,
    StringEntry,
    TokenEntry,
    UriEntry,
)
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.indexing.normalize import MAX_DATE, MAX_NUMBER, MIN_NUMBER

UCUM = "http://unitsofmeasure.org"


def of(indexer: Indexer, resource: dict[str, Any], param: str) -> set[IndexEntry]:
    return {entry for entry in indexer.entries(resource) if entry.param == param}


def test_human_name_indexes_each_part(indexer: Indexer) -> None:
    name = {
        "family": "Núñez",
        "given": ["Ana", "María"],
        "prefix": ["Dr."],
        "suffix": ["PhD"],
        "text": "Ana Núñez",
    }
    patient = {"resourceType": "Patient", "name": [name]}
    assert of(indexer, patient, "name") == {
        StringEntry("name", "nunez", "Núñez"),
        StringEntry("name", "ana", "Ana"),
        StringEntry("name", "maria", "María"),
        StringEntry("name", "dr.", "Dr."),
        StringEntry("name", "phd", "PhD"),
        StringEntry("name", "ana nunez", "Ana Núñez"),
    }
    assert of(indexer, patient, "family") == {StringEntry("family", "nunez", "Núñez")}


def test_address_indexes_lines_and_parts(indexer: Indexer) -> None:
    address = {
        "line": ["1 Main St", "Apt 2"],
        "city": "Springfield",
        "state": "IL",
        "postalCode": "62701",
        "country": "US",
        "district": "Sangamon",
    }
    found = of(indexer, {"resourceType": "Patient", "address": [address]}, "address")
    values = {entry.value for entry in found if isinstance(entry, StringEntry)}
    assert values == {"1 main st", "apt 2", "springfield", "il", "62701", "us", "sangamon"}


def test_tokens_from_coding_concept_identifier_contact_point_and_primitives(indexer: Indexer) -> None:
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "gender": "female",
        "active": False,
        "identifier": [
            {"system": "urn:mrn", "value": "42", "type": {"text": "Medical Record"}},
            {"value": "7"},
        ],
        "telecom": [{"system": "phone", "value": "555-0100"}, {"system": "email", "value": "a@example.org"}],
        "communication": [
            {
                "language": {
                    "coding": [{"system": "urn:ietf:bcp:47", "code": "fr", "display": "French"}],
                    "text": "Français (Canada)",
                }
            }
        ],
        "meta": {"tag": [{"system": "urn:tags", "code": "t1"}], "security": [{"code": "R"}]},
    }
    assert of(indexer, patient, "identifier") == {
        TokenEntry("identifier", "urn:mrn", "42", "medical record"),
        TokenEntry("identifier", None, "7"),
    }
    assert of(indexer, patient, "phone") == {TokenEntry("phone", None, "555-0100")}
    assert of(indexer, patient, "email") == {TokenEntry("email", None, "a@example.org")}
    assert of(indexer, patient, "telecom") == {
        TokenEntry("telecom", None, "555-0100"),
        TokenEntry("telecom", None, "a@example.org"),
    }
    assert of(indexer, patient, "language") == {
        TokenEntry("language", "urn:ietf:bcp:47", "fr", "french"),
        TokenEntry("language", None, None, "francais (canada)"),
    }
    assert of(indexer, patient, "gender") == {TokenEntry("gender", None, "female")}
    assert of(indexer, patient, "active") == {TokenEntry("active", None, "false")}
    assert of(indexer, patient, "_id") == {TokenEntry("_id", None, "p1")}
    assert of(indexer, patient, "_tag") == {TokenEntry("_tag", "urn:tags", "t1")}
    assert of(indexer, patient, "_security") == {TokenEntry("_security", None, "R")}


def test_concept_text_equal_to_a_display_is_not_repeated(indexer: Indexer) -> None:
    code = {
        "coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Body Height"}],
        "text": "body  height",
    }
    observation = {"resourceType": "Observation", "code": code}
    assert of(indexer, observation, "code") == {
        TokenEntry("code", "http://loinc.org", "8302-2", "body height")
    }


def test_dates_from_date_time_period_timing_and_instant(indexer: Indexer) -> None:
    patient = {
        "resourceType": "Patient",
        "birthDate": "1990-07",
        "meta": {"lastUpdated": "2024-01-02T03:04:05.678Z"},
    }
    assert of(indexer, patient, "birthdate") == {
        DateEntry(
            "birthdate",
            datetime(1990, 7, 1, tzinfo=UTC),
            datetime(1990, 7, 31, 23, 59, 59, 999999, tzinfo=UTC),
        )
    }
    last_updated = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert of(indexer, patient, "_lastUpdated") == {
        DateEntry("_lastUpdated", last_updated, last_updated.replace(microsecond=678999))
    }
    encounter = {"resourceType": "Encounter", "period": {"start": "2020-01-01T10:00:00Z"}}
    assert of(indexer, encounter, "date") == {
        DateEntry("date", datetime(2020, 1, 1, 10, tzinfo=UTC), MAX_DATE)
    }
    timing = {"resourceType": "Observation", "effectiveTiming": {"event": ["2020-02-02", "2020-01-01"]}}
    (entry,) = of(indexer, timing, "date")
    assert isinstance(entry, DateEntry)
    assert (entry.low, entry.high) == (
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2020, 2, 2, 23, 59, 59, 999999, tzinfo=UTC),
    )


def test_onset_date_takes_date_times_and_periods_but_not_strings(indexer: Indexer) -> None:
    with_string = {"resourceType": "Condition", "onsetString": "in childhood"}
    with_period = {"resourceType": "Condition", "onsetPeriod": {"start": "2001", "end": "2002"}}
    assert of(indexer, with_string, "onset-date") == set()
    assert of(indexer, with_string, "onset-info") == {
        StringEntry("onset-info", "in childhood", "in childhood")
    }
    onsets = of(indexer, with_period, "onset-date")
    assert {(e.low.year, e.high.year) for e in onsets if isinstance(e, DateEntry)} == {(2001, 2002)}


def test_numbers_keep_their_precision(indexer: Indexer) -> None:
    assessment = {
        "resourceType": "RiskAssessment",
        "prediction": [
            {"probabilityDecimal": Decimal("0.50")},
            {"probabilityRange": {"low": {"value": 2}, "high": {"value": Decimal("3.0")}}},
            {"probabilityRange": {"high": {"value": 9}}},
        ],
    }
    assert of(indexer, assessment, "probability") == {
        NumberEntry("probability", Decimal("0.50"), Decimal("0.495"), Decimal("0.505")),
        NumberEntry("probability", Decimal(2), Decimal("1.5"), Decimal("3.05")),
        NumberEntry("probability", Decimal(9), MIN_NUMBER, Decimal("9.5")),
    }


def test_quantities_money_ranges_and_comparators(indexer: Indexer) -> None:
    observation = {
        "resourceType": "Observation",
        "valueQuantity": {"value": 1.5, "unit": "kg", "system": UCUM, "code": "kg"},
    }
    assert of(indexer, observation, "value-quantity") == {
        QuantityEntry("value-quantity", UCUM, "kg", "kg", Decimal("1.5"), Decimal("1.45"), Decimal("1.55"))
    }
    below = {"resourceType": "Observation", "valueQuantity": {"value": 5, "comparator": "<", "unit": "mg"}}
    assert of(indexer, below, "value-quantity") == {
        QuantityEntry("value-quantity", None, None, "mg", Decimal(5), MIN_NUMBER, Decimal("5.5"))
    }
    claim = {"resourceType": "ChargeItem", "priceOverride": {"value": Decimal("12.30"), "currency": "EUR"}}
    assert of(indexer, claim, "price-override") == {
        QuantityEntry(
            "price-override",
            "urn:iso:std:iso:4217",
            "EUR",
            "EUR",
            Decimal("12.30"),
            Decimal("12.295"),
            Decimal("12.305"),
        )
    }
    condition = {
        "resourceType": "Condition",
        "onsetRange": {"low": {"value": 10, "unit": "a", "code": "a", "system": UCUM}},
    }
    assert of(indexer, condition, "onset-age") == {
        QuantityEntry("onset-age", UCUM, "a", "a", Decimal(10), Decimal("9.5"), MAX_NUMBER)
    }
    aged = {"resourceType": "Condition", "onsetAge": {"value": 40, "code": "a", "system": UCUM}}
    assert {e.value for e in of(indexer, aged, "onset-age") if isinstance(e, QuantityEntry)} == {Decimal(40)}
    sampled = {"resourceType": "Observation", "valueSampledData": {"data": "1 2 3"}}
    assert of(indexer, sampled, "value-quantity") == set()


def test_uris(indexer: Indexer) -> None:
    value_set = {
        "resourceType": "ValueSet",
        "url": "http://example.org/vs",
        "meta": {"profile": ["http://p"]},
    }
    assert of(indexer, value_set, "url") == {UriEntry("url", "http://example.org/vs")}
    assert of(indexer, value_set, "_profile") == {UriEntry("_profile", "http://p")}


def test_special_parameters_are_not_indexed(indexer: Indexer) -> None:
    location = {"resourceType": "Location", "position": {"latitude": 1.0, "longitude": 2.0}}
    assert of(indexer, location, "near") == set()


def test_identical_entries_are_kept_once(indexer: Indexer) -> None:
    patient = {"resourceType": "Patient", "name": [{"family": "Roe"}, {"family": "ROE"}, {"given": ["Roe"]}]}
    assert of(indexer, patient, "family") == {
        StringEntry("family", "roe", "Roe"),
        StringEntry("family", "roe", "ROE"),
    }
    assert len(indexer.entries(patient)) == len(set(indexer.entries(patient)))


def test_unknown_types_and_malformed_values_yield_nothing_and_never_fail(indexer: Indexer) -> None:
    assert indexer.entries({"resourceType": "Spaceship", "name": "x"}) == []
    assert indexer.entries({"resourceType": 7}) == []
    odd = {
        "resourceType": "Observation",
        "code": "not a concept",
        "valueQuantity": {"value": "NaN"},
        "effectiveDateTime": 20200101,
        "subject": {"reference": 5},
        "identifier": [None, {"system": 3}],
        "component": [{"code": {"coding": "x"}, "valueQuantity": []}],
        "status": True,
        "meta": [],
    }
    assert indexer.entries(odd) == [TokenEntry("status", None, "true")]
