"""Safe Harbor rules on hand-made resources: each identifier kind, generalisation and linkage."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from caremesh.fhir.deid import Deidentifier
from caremesh.fhir.deid.generalize import restricted_zip3, zip3

KEY = b"k" * 32
TODAY = date(2026, 11, 26)


def deid(resource: dict[str, Any], key: bytes = KEY) -> dict[str, Any]:
    return Deidentifier(key=key, today=TODAY).resource(resource)


def patient(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": "pat-canary-1",
        "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Ann Canary</div>'},
        "identifier": [
            {
                "system": "http://hl7.org/fhir/sid/us-ssn",
                "value": "999-12-3456",
                "type": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS"}]
                },
            },
            {"system": "http://hospital.example/mrn", "value": "MRN-778899"},
        ],
        "name": [{"family": "Canary", "given": ["Ann"]}],
        "telecom": [
            {"system": "phone", "value": "555-010-9999"},
            {"system": "email", "value": "ann@example.org"},
        ],
        "gender": "female",
        "birthDate": "1961-07-04",
        "address": [
            {
                "line": ["1 Canary Row"],
                "city": "Smalltown",
                "district": "X",
                "state": "NH",
                "postalCode": "03601-1234",
                "country": "US",
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                        "extension": [{"url": "latitude", "valueDecimal": 43.1}],
                    }
                ],
            }
        ],
        "photo": [{"contentType": "image/jpeg", "data": "AAAA"}],
        "contact": [{"name": {"family": "Relative"}, "telecom": [{"system": "phone", "value": "555-0100"}]}],
        "extension": [
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                "valueString": "Maiden",
            },
            {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": "F"},
        ],
        "managingOrganization": {"reference": "Organization/org-1", "display": "Dr Canary's Practice"},
        **extra,
    }


def test_direct_identifiers_are_removed_and_the_rest_generalised() -> None:
    out = deid(patient())
    assert "name" not in out and "telecom" not in out and "photo" not in out and "contact" not in out
    assert "text" not in out
    assert out["birthDate"] == "1961"
    assert out["address"] == [{"state": "NH", "postalCode": "000", "country": "US"}]  # 036: a small area
    assert out["extension"] == [
        {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": "F"}
    ]
    assert out["managingOrganization"] == {"reference": f"Organization/{deid_id('org-1')}"}
    serialized = str(out)
    for canary in ("999-12-3456", "MRN-778899", "Canary", "555-010", "ann@", "Smalltown", "03601", "Maiden"):
        assert canary not in serialized


def deid_id(source_id: str) -> str:
    return Deidentifier(key=KEY).pseudonyms.resource_id(source_id)


def test_identifiers_become_keyed_pseudonyms_linkable_within_an_extract_only() -> None:
    first, again = deid(patient()), deid(patient())
    other_extract = deid(patient(), key=b"o" * 32)
    assert first["id"] == again["id"] == deid_id("pat-canary-1")
    assert first["identifier"] == again["identifier"]
    assert first["identifier"][0]["type"]["coding"][0]["code"] == "SS"  # the kind stays known
    assert {i["system"] for i in first["identifier"]} == {"urn:caremesh:deid:pseudonym"}
    assert other_extract["id"] != first["id"]
    assert other_extract["identifier"][0]["value"] != first["identifier"][0]["value"]
    observation = deid(
        {
            "resourceType": "Observation",
            "id": "o1",
            "status": "final",
            "code": {"text": "x"},
            "subject": {"reference": "Patient/pat-canary-1"},
        }
    )
    assert observation["subject"]["reference"] == f"Patient/{first['id']}"


UUID = "0f6d3e7a-1111-4222-8333-944445555666"
NPI_QUERY = "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1234567890"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Patient/p1", f"Patient/{deid_id('p1')}"),
        ("https://ehr.example.org/fhir/Patient/p1/_history/3", f"Patient/{deid_id('p1')}"),
        (f"urn:uuid:{UUID}", f"urn:uuid:{deid_id(UUID)}"),
        ("#contained-1", "#contained-1"),
        (NPI_QUERY, f"Practitioner/{deid_id(NPI_QUERY)}"),
    ],
)
def test_references_are_rewritten(reference: str, expected: str) -> None:
    out = deid(
        {
            "resourceType": "Encounter",
            "id": "e1",
            "status": "finished",
            "class": {"code": "AMB"},
            "subject": {"reference": reference, "display": "Ann Canary"},
        }
    )
    assert out["subject"] == {"reference": expected}


def test_dates_keep_only_their_year_and_instants_go() -> None:
    out = deid(
        {
            "resourceType": "Observation",
            "id": "o1",
            "status": "final",
            "code": {
                "coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Body height"}],
                "text": "Body height",
            },
            "effectivePeriod": {"start": "2019-03-04T10:00:00+01:00", "end": "2019-03-05"},
            "issued": "2019-03-04T10:00:00.123Z",
            "valueQuantity": {"value": 170, "unit": "cm"},
            "meta": {
                "lastUpdated": "2020-01-01T00:00:00Z",
                "source": "https://ehr.example.org/x",
                "versionId": "3",
            },
        }
    )
    assert out["effectivePeriod"] == {"start": "2019", "end": "2019"}
    assert "issued" not in out
    assert out["code"]["text"] == "Body height"  # a text that repeats its coding's display stays
    assert out["code"]["coding"][0]["code"] == "8302-2"
    assert set(out["meta"]) == {"security"}
    assert {s["code"] for s in out["meta"]["security"]} == {"PSEUDED", "REDACTED"}


def test_required_instants_keep_their_year() -> None:
    out = deid(
        {
            "resourceType": "Provenance",
            "id": "p",
            "target": [{"reference": "Patient/p1"}],
            "recorded": "2021-05-06T07:08:09Z",
            "agent": [{"who": {"reference": "Practitioner/x"}}],
        }
    )
    assert out["recorded"] == "2021-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("birth", "deceased", "expected_birth", "group"),
    [
        ("1936-11-26", None, None, "90+"),  # 90 today
        ("1936-11-27", None, "1936", None),  # still 89
        ("1920-01-01", "2000-06-01", "1920", None),  # died at 80: the age reached stays below 90
        ("1900", None, None, "90+"),
    ],
)
def test_ages_over_89_become_one_group(
    birth: str, deceased: str | None, expected_birth: str | None, group: str | None
) -> None:
    extra = {"birthDate": birth} | ({"deceasedDateTime": deceased} if deceased else {})
    out = deid({"resourceType": "Patient", "id": "old", **extra})
    assert out.get("birthDate") == expected_birth
    groups = [e["valueString"] for e in out.get("extension", []) if e["url"] == "urn:caremesh:deid:age-group"]
    assert groups == ([group] if group else [])


def test_free_text_attachments_and_device_identifiers_go() -> None:
    out = deid(
        {
            "resourceType": "DocumentReference",
            "id": "d1",
            "status": "current",
            "description": "Letter about Ann Canary",
            "content": [
                {
                    "attachment": {
                        "contentType": "text/plain",
                        "data": "QW5uIENhbmFyeQ==",
                        "url": "https://files.example/ann.txt",
                        "title": "ann.txt",
                    }
                }
            ],
        }
    )
    assert out["content"] == [{"attachment": {"contentType": "text/plain"}}]
    assert "description" not in out
    device = deid(
        {
            "resourceType": "Device",
            "id": "dev",
            "serialNumber": "SN-1",
            "lotNumber": "L-2",
            "udiCarrier": [{"deviceIdentifier": "0001"}],
            "deviceName": [{"name": "Ann's pump", "type": "other"}],
            "url": "http://10.1.2.3/device",
        }
    )
    assert set(device) == {"resourceType", "id", "meta"}


def test_a_removed_free_text_value_is_marked_masked() -> None:
    out = deid(
        {
            "resourceType": "Observation",
            "id": "o",
            "status": "final",
            "code": {"coding": [{"code": "x"}]},
            "valueString": "Ann says her neighbour Bob...",
            "note": [{"text": "called 555-0100"}],
            "component": [{"code": {"coding": [{"code": "y"}]}, "valueString": "free"}],
        }
    )
    masked = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                "code": "masked",
                "display": "Masked",
            }
        ]
    }
    assert "valueString" not in out and "note" not in out
    assert out["dataAbsentReason"] == masked
    assert out["component"][0]["dataAbsentReason"] == masked


def test_a_reference_that_was_only_a_name_stays_present_but_masked() -> None:
    out = deid(
        {
            "resourceType": "Claim",
            "id": "c",
            "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "Ann Canary's plan"}}],
        }
    )
    assert out["insurance"][0]["coverage"] == {
        "extension": [
            {"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "masked"}
        ]
    }


def test_bundles_and_contained_resources_are_handled_and_the_input_is_untouched() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:0f6d3e7a-1111-4222-8333-944445555666",
                "resource": patient(
                    contained=[{"resourceType": "Organization", "id": "1", "name": "Canary Co"}]
                ),
                "request": {
                    "method": "POST",
                    "url": "Patient?identifier=MRN-778899",
                    "ifNoneExist": "identifier=MRN-778899",
                },
            }
        ],
    }
    original = copy.deepcopy(bundle)
    out = deid(bundle)
    assert bundle == original
    entry = out["entry"][0]
    assert entry["request"] == {"method": "POST", "url": "Patient"}
    assert entry["fullUrl"].startswith("urn:uuid:") and "0f6d3e7a" not in entry["fullUrl"]
    assert entry["resource"]["contained"][0]["id"] == "1" and "name" not in entry["resource"]["contained"][0]
    assert "MRN-778899" not in str(out)


def test_zip3_rules() -> None:
    assert len(restricted_zip3()) == 17
    assert zip3("02740") == "027"
    assert zip3("89012-3456") == "000"  # 890: one of the small areas
    assert zip3("SW1A 1AA") is None  # not a US ZIP: dropped rather than guessed at
