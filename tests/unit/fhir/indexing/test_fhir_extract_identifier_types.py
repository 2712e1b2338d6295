"""Identifier.type codings reach the token entries (for :of-type), one entry per coded type."""

from __future__ import annotations

from typing import Any

from caremesh.fhir.indexing.entries import TokenEntry
from caremesh.fhir.indexing.extract import Indexer

V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def _identifiers(indexer: Indexer, resource: dict[str, Any], param: str = "identifier") -> set[TokenEntry]:
    return {e for e in indexer.entries(resource) if isinstance(e, TokenEntry) and e.param == param}


def test_each_coded_type_gives_the_identifier_an_entry(indexer: Indexer) -> None:
    kind = {"coding": [{"system": V2, "code": "MR"}, {"code": "local"}, {"system": V2}], "text": "Chart"}
    patient = {"resourceType": "Patient", "identifier": [{"type": kind, "system": "urn:mrn", "value": "1"}]}
    assert _identifiers(indexer, patient) == {
        TokenEntry("identifier", "urn:mrn", "1", "chart", V2, "MR"),
        TokenEntry("identifier", "urn:mrn", "1", "chart", None, "local"),  # a coding without system
    }  # the coding without a code names no type


def test_identifiers_without_coded_type_keep_one_entry(indexer: Indexer) -> None:
    patient = {"resourceType": "Patient", "identifier": [
        {"system": "urn:a", "value": "1"},
        {"type": {"text": "Legacy"}, "value": "2"},
        {"type": {"coding": "not a list"}, "value": "3"},
    ]}  # fmt: skip
    assert _identifiers(indexer, patient) == {
        TokenEntry("identifier", "urn:a", "1"),
        TokenEntry("identifier", None, "2", "legacy"),
        TokenEntry("identifier", None, "3"),
    }


def test_reference_identifiers_keep_their_type_too(indexer: Indexer) -> None:
    observation = {
        "resourceType": "Observation", "status": "final", "code": {"text": "x"},
        "subject": {"identifier": {"type": {"coding": [{"system": V2, "code": "MR"}]}, "value": "42"}},
    }  # fmt: skip
    expected = {TokenEntry("subject", None, "42", None, V2, "MR")}
    assert _identifiers(indexer, observation, "subject") == expected
