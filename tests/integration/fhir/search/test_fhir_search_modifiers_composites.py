""":of-type, :above/:below, and the composites with a reference or three components, on both dialects."""

from __future__ import annotations

from typing import Any

import pytest
from search_store import Store

from caremesh.fhir.outcome import FhirError

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
CHROMOSOME = "http://terminology.hl7.org/CodeSystem/chromosome-human"
NUCCORE = "http://www.ncbi.nlm.nih.gov/nuccore"


def _identified(pid: str, value: str, *codings: tuple[str, str]) -> dict[str, Any]:
    kind = {"coding": [{"system": s, "code": c} for s, c in codings], "text": "record"}
    return {"resourceType": "Patient", "id": pid,
            "identifier": [{"type": kind, "system": "urn:mrn", "value": value}]}  # fmt: skip


async def test_of_type_matches_the_type_coding_and_value_of_one_identifier(store: Store) -> None:
    await store.put_all([
        _identified("mr", "12345", (V2_0203, "MR"), ("urn:local", "chart")),
        _identified("dl", "12345", (V2_0203, "DL")),
        _identified("mr2", "999", (V2_0203, "MR")),
        {"resourceType": "Patient", "id": "untyped", "identifier": [{"system": "urn:mrn", "value": "12345"}]},
        {"resourceType": "Patient", "id": "split", "identifier": [  # type and value on different identifiers
            {"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "value": "1"},
            {"type": {"coding": [{"system": V2_0203, "code": "DL"}]}, "value": "12345"},
        ]},
    ])  # fmt: skip
    assert await store.id_set("Patient", f"identifier:of-type={V2_0203}|MR|12345") == {"mr"}
    assert await store.id_set("Patient", "identifier:of-type=urn:local|chart|12345") == {"mr"}  # any coding
    assert await store.id_set("Patient", f"identifier:of-type={V2_0203}|DL|12345") == {"dl", "split"}
    assert await store.id_set("Patient", f"identifier:of-type={V2_0203}|MR|999,{V2_0203}|DL|12345") == {
        "mr2", "dl", "split",
    }  # fmt: skip
    assert await store.id_set("Patient", "identifier:of-type=urn:other|MR|12345") == set()
    # The identifier rows still answer plain token searches once each (no duplicate matches).
    assert await store.ids("Patient", "identifier=urn:mrn|12345&_sort=_id") == ["dl", "mr", "untyped"]


async def test_of_type_with_missing_parts_is_a_400(store: Store) -> None:
    with pytest.raises(FhirError) as caught:
        await store.search("Patient", f"identifier:of-type={V2_0203}|MR")
    assert caught.value.status == 400
    assert "type-system|type-code|value" in caught.value.issues[0].diagnostics


async def test_uri_below_and_above_follow_path_segments(store: Store) -> None:
    def questionnaire(qid: str, url: str) -> dict[str, Any]:
        return {"resourceType": "Questionnaire", "id": qid, "status": "active", "url": url}

    await store.put_all([
        questionnaire("root", "http://forms.test/fhir"),
        questionnaire("vs", "http://forms.test/fhir/Questionnaire/intake"),
        questionnaire("v2", "http://forms.test/fhir/Questionnaire/intake/v2"),
        questionnaire("near", "http://forms.test/fhirx/Questionnaire/intake"),  # not below /fhir
        questionnaire("urn", "urn:oid:1.2.3"),
    ])  # fmt: skip
    assert await store.id_set("Questionnaire", "url:below=http://forms.test/fhir") == {"root", "vs", "v2"}
    assert await store.id_set("Questionnaire", "url:below=http://forms.test/fhir/") == {"root", "vs", "v2"}
    assert await store.id_set("Questionnaire", "url:below=http://forms.test/fhir/Questionnaire/intake") == {
        "vs", "v2",
    }  # fmt: skip
    above = "url:above=http://forms.test/fhir/Questionnaire/intake/v2/extra"
    assert await store.id_set("Questionnaire", above) == {"root", "vs", "v2"}
    assert await store.id_set("Questionnaire", "url:above=http://forms.test/fhir/Other") == {"root"}
    assert await store.id_set("Questionnaire", "url=urn:oid:1.2.3") == {"urn"}
    for modifier in ("above", "below"):
        with pytest.raises(FhirError) as caught:
            await store.search("Questionnaire", f"url:{modifier}=urn:oid:1.2")
        assert caught.value.status == 400
        assert "a URN has no path" in caught.value.issues[0].diagnostics


async def test_token_subsumption_without_a_terminology_is_a_precise_400(store: Store) -> None:
    with pytest.raises(FhirError) as caught:
        await store.search("Condition", "code:below=http://snomed.info/sct|404684003")
    issue = caught.value.issues[0]
    assert caught.value.status == 400 and issue.code == "not-supported"
    assert "terminology service" in issue.diagnostics and issue.expression == ("code:below",)


def _sequence(
    sid: str, chromosome: str, seq_id: str, window: tuple[int, int], *variants: tuple[int, int]
) -> dict[str, Any]:
    return {
        "resourceType": "MolecularSequence", "id": sid, "coordinateSystem": 1, "type": "dna",
        "referenceSeq": {
            "chromosome": {"coding": [{"system": CHROMOSOME, "code": chromosome}]},
            "referenceSeqId": {"coding": [{"system": NUCCORE, "code": seq_id}]},
            "windowStart": window[0], "windowEnd": window[1], "strand": "watson",
        },
        "variant": [{"start": start, "end": end} for start, end in variants],
    }  # fmt: skip


async def test_three_part_molecular_sequence_composites(store: Store) -> None:
    await store.put_all([
        _sequence("a", "1", "NC_000001.11", (100, 400), (150, 151), (300, 302)),
        _sequence("b", "1", "NC_000001.11", (500, 900), (600, 601)),
        _sequence("c", "2", "NC_000002.12", (100, 400), (150, 151)),
    ])  # fmt: skip
    # Spec example: a variant on chromosome 1 that starts before 345 and ends after 123.
    assert await store.id_set("MolecularSequence", "chromosome-variant-coordinate=1$lt345$gt123") == {"a"}
    wide = "chromosome-variant-coordinate=1$lt700$gt123"
    assert await store.id_set("MolecularSequence", wide) == {"a", "b"}
    assert await store.id_set("MolecularSequence", "chromosome-variant-coordinate=2$lt345$gt123") == {"c"}
    # Start and end come from the SAME variant: a's variants are 150-151 and 300-302.
    assert await store.id_set("MolecularSequence", "chromosome-variant-coordinate=1$le150$ge302") == set()
    assert await store.id_set("MolecularSequence", "chromosome-variant-coordinate=1$le300$ge302") == {"a"}
    window = f"referenceseqid-window-coordinate={NUCCORE}|NC_000001.11$le500$ge900"
    assert await store.id_set("MolecularSequence", window) == {"b"}
    either = "chromosome-window-coordinate=1$100$400,2$500$900"
    assert await store.id_set("MolecularSequence", either) == {"a"}
    with pytest.raises(FhirError) as caught:
        await store.search("MolecularSequence", "chromosome-variant-coordinate=1$lt345")
    assert "expected 3 components" in caught.value.issues[0].diagnostics


async def test_document_reference_relationship_pairs_target_and_relation(store: Store) -> None:
    def document(did: str, *relations: tuple[str, str]) -> dict[str, Any]:
        related = [{"code": code, "target": {"reference": target}} for code, target in relations]
        content = [{"attachment": {"url": f"http://docs.test/{did}"}}]
        return {"resourceType": "DocumentReference", "id": did, "status": "current",
                "content": content, "relatesTo": related}  # fmt: skip

    await store.put_all([
        document("d0"),
        document("d1", ("replaces", "DocumentReference/d0")),
        document("d2", ("appends", "DocumentReference/d0"), ("replaces", "DocumentReference/d1")),
        document("d3", ("transforms", "http://other.test/fhir/DocumentReference/x9")),
    ])  # fmt: skip
    assert await store.id_set("DocumentReference", "relationship=DocumentReference/d0$replaces") == {"d1"}
    assert await store.id_set("DocumentReference", "relationship=d0$appends") == {"d2"}
    assert await store.id_set("DocumentReference", "relationship=DocumentReference/d1$appends") == set()
    assert await store.id_set("DocumentReference", "relationship=DocumentReference/d1$replaces") == {"d2"}
    url = "http://other.test/fhir/DocumentReference/x9"
    assert await store.id_set("DocumentReference", f"relationship={url}$transforms") == {"d3"}
    assert await store.id_set("DocumentReference", "relatesto=DocumentReference/d0") == {"d1", "d2"}
