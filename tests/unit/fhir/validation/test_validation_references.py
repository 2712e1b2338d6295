"""Reference.reference syntax, alone and in the contexts that change what resolves."""

from __future__ import annotations

from typing import Any

import pytest

from caremesh.fhir.definitions import load
from caremesh.fhir.validation import Validator
from caremesh.fhir.validation.references import ReferenceScope, reference_problem

TYPES = load().resource_types
PLAIN = ReferenceScope(TYPES)
IN_BUNDLE = ReferenceScope(TYPES, in_bundle=True)
WITH_CONTAINED = ReferenceScope(TYPES, contained_ids=frozenset({"med1"}))
INSIDE_CONTAINED = ReferenceScope(TYPES, contained_ids=frozenset({"med1"}), in_contained=True)
UUID = "urn:uuid:8d6a4b8e-3c0e-4d47-9f37-1b6e2b4c5d6f"


@pytest.mark.parametrize(
    ("reference", "scope"),
    [
        ("Patient/123", PLAIN),
        ("Patient/a.b-C", PLAIN),
        ("Observation/o1/_history/2", PLAIN),
        ("https://fhir.example.org/R4/Patient/123", PLAIN),
        ("http://example.org/fhir/Organization/1/_history/3", PLAIN),
        ("#med1", WITH_CONTAINED),
        ("#med1", INSIDE_CONTAINED),
        ("#", INSIDE_CONTAINED),
        (UUID, IN_BUNDLE),
        ("urn:oid:1.2.840.113619.6.197", IN_BUNDLE),
        ("Patient?identifier=http://hospital.example|123", IN_BUNDLE),
    ],
)
def test_resolvable_references_pass(reference: str, scope: ReferenceScope) -> None:
    assert reference_problem(reference, scope) is None


@pytest.mark.parametrize(
    ("reference", "scope", "wording"),
    [
        ("Patient/", PLAIN, "Invalid id"),
        ("Patient/has space", PLAIN, "Invalid id"),
        ("Patient/" + "x" * 65, PLAIN, "Invalid id"),
        ("Patient/1/_history/", PLAIN, "Invalid id"),
        ("Patients/1", PLAIN, "Unknown resource type 'Patients'"),
        ("Project/1", PLAIN, "Unknown resource type 'Project'"),
        ("Patient/1/extra", PLAIN, "expected 'Type/id'"),
        ("123", PLAIN, "expected 'Type/id'"),
        ("", PLAIN, "expected 'Type/id'"),
        ("#med2", WITH_CONTAINED, "matches no contained resource"),
        ("#", WITH_CONTAINED, "only valid inside a contained resource"),
        (UUID, PLAIN, "only resolves inside a Bundle"),
        ("urn:uuid:not-a-uuid", IN_BUNDLE, "Malformed urn:uuid"),
        ("urn:oid:1.02", IN_BUNDLE, "Malformed urn:oid"),
        ("urn:isbn:12345", IN_BUNDLE, "expected 'Type/id'"),
        ("Patient?identifier=1", PLAIN, "only resolves inside a transaction"),
        ("Patientz?identifier=1", IN_BUNDLE, "Unknown resource type"),
    ],
)
def test_unresolvable_references_say_why(reference: str, scope: ReferenceScope, wording: str) -> None:
    problem = reference_problem(reference, scope)
    assert problem is not None and wording in problem


def test_long_references_are_not_echoed_whole() -> None:
    problem = reference_problem("Patient/" + "9" * 500, PLAIN)
    assert problem is not None and len(problem) < 200


def test_contained_resources_reference_their_siblings_and_container(validator: Validator) -> None:
    request: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationReference": {"reference": "#med"},
        "subject": {"reference": "Patient/p1"},
        "contained": [
            {"resourceType": "Medication", "id": "med", "manufacturer": {"reference": "#org"}},
            {"resourceType": "Organization", "id": "org", "partOf": {"reference": "#"}},
        ],
    }
    assert validator.validate(request) == []
    request["contained"][0]["manufacturer"] = {"reference": "#nobody"}
    [issue] = validator.validate(request)
    assert (issue.code, issue.expression) == (
        "invalid",
        ("MedicationRequest.contained[0].manufacturer.reference",),
    )


def test_references_inside_extensions_are_checked(validator: Validator) -> None:
    patient = {
        "resourceType": "Patient",
        "_birthDate": {"extension": [{"url": "http://x.org/e", "valueReference": {"reference": "Nope/1"}}]},
    }
    [issue] = validator.validate(patient)
    assert (issue.code, issue.expression) == (
        "invalid",
        ("Patient.birthDate.extension[0].valueReference.reference",),
    )


def test_the_bundle_flag_allows_urn_and_conditional_references(validator: Validator) -> None:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "pulse"},
        "subject": {"reference": UUID},
        "performer": [{"reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999"}],
    }
    assert validator.validate(observation, in_bundle=True) == []
    assert {i.expression[0] for i in validator.validate(observation)} == {
        "Observation.subject.reference",
        "Observation.performer[0].reference",
    }


def test_entries_of_a_bundle_are_checked_in_the_bundle_context(validator: Validator) -> None:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": UUID,
                "resource": {"resourceType": "Patient", "gender": "female"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"text": "pulse"},
                    "subject": {"reference": UUID},
                },
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }
    assert validator.validate(bundle) == []
    bundle["entry"][1]["resource"]["subject"] = {"reference": "Patient/has space"}
    [issue] = validator.validate(bundle)
    assert (issue.code, issue.expression) == ("invalid", ("Bundle.entry[1].resource.subject.reference",))
