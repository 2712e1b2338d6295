"""Reference entries: local, versioned, absolute, contained, identifier-only, canonical, inline."""

from __future__ import annotations

from typing import Any

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.indexing.entries import IndexEntry, ReferenceEntry, TokenEntry
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.indexing.references import Target, parse_reference

BASE = "https://fhir.example.org/fhir/R4"  # the conftest indexer's own base URL


def of(indexer: Indexer, resource: dict[str, Any], param: str) -> set[IndexEntry]:
    return {entry for entry in indexer.entries(resource) if entry.param == param}


def test_reference_forms(definitions: Definitions) -> None:
    types = definitions.resource_types
    assert parse_reference("Patient/1", types) == Target("Patient", "1", None)
    assert parse_reference("Patient/1/_history/3", types) == Target("Patient", "1", None)
    assert parse_reference(f"{BASE}/Patient/1", types, BASE) == Target("Patient", "1", None)
    assert parse_reference(f"{BASE}/Patient/1", types) == Target("Patient", None, f"{BASE}/Patient/1")
    assert parse_reference("urn:uuid:1234", types) == Target(None, None, "urn:uuid:1234")
    assert parse_reference("http://x.org/Questionnaire/q|2.0", types) == Target(
        "Questionnaire", None, "http://x.org/Questionnaire/q|2.0"
    )
    assert parse_reference("Unicorn/1", types) == Target(None, None, "Unicorn/1")
    assert parse_reference("#contained", types) is None
    assert parse_reference("", types) is None


def test_subject_and_patient_parameters(indexer: Indexer) -> None:
    observation = {
        "resourceType": "Observation",
        "subject": {"reference": "Patient/p1"},
        "performer": [
            {"reference": f"{BASE}/Practitioner/d1"},
            {"reference": "https://elsewhere.org/Practitioner/d2"},
        ],
    }
    assert of(indexer, observation, "subject") == {ReferenceEntry("subject", "Patient", "p1")}
    assert of(indexer, observation, "patient") == {ReferenceEntry("patient", "Patient", "p1")}
    assert of(indexer, observation, "performer") == {
        ReferenceEntry("performer", "Practitioner", "d1"),
        ReferenceEntry("performer", "Practitioner", None, "https://elsewhere.org/Practitioner/d2"),
    }


def test_patient_parameter_skips_subjects_that_are_not_patients(indexer: Indexer) -> None:
    observation = {"resourceType": "Observation", "subject": {"reference": "Group/g1"}}
    assert of(indexer, observation, "subject") == {ReferenceEntry("subject", "Group", "g1")}
    assert of(indexer, observation, "patient") == set()


def test_contained_references_are_not_indexed_but_type_their_target(indexer: Indexer) -> None:
    observation = {
        "resourceType": "Observation",
        "contained": [{"resourceType": "Patient", "id": "inline"}],
        "subject": {"reference": "#inline"},
    }
    assert of(indexer, observation, "subject") == set()
    assert of(indexer, observation, "patient") == set()


def test_identifier_references_are_tokens_under_the_reference_parameter(indexer: Indexer) -> None:
    observation = {
        "resourceType": "Observation",
        "subject": {"type": "Patient", "identifier": {"system": "urn:mrn", "value": "42"}},
    }
    assert of(indexer, observation, "subject") == {TokenEntry("subject", "urn:mrn", "42")}
    assert of(indexer, observation, "patient") == {TokenEntry("patient", "urn:mrn", "42")}


def test_canonical_references(indexer: Indexer) -> None:
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://example.org/Questionnaire/phq9|1.0",
    }
    assert of(indexer, response, "questionnaire") == {
        ReferenceEntry("questionnaire", "Questionnaire", None, "http://example.org/Questionnaire/phq9|1.0")
    }
    plan = {"resourceType": "PlanDefinition", "action": [{"definitionUri": "Questionnaire/local"}]}
    assert of(indexer, plan, "definition") == {ReferenceEntry("definition", "Questionnaire", "local")}


def test_a_document_bundle_references_its_composition(indexer: Indexer) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "document",
        "entry": [{"resource": {"resourceType": "Composition", "id": "c1"}}],
    }
    assert of(indexer, bundle, "composition") == {ReferenceEntry("composition", "Composition", "c1")}
