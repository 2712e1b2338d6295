"""_summary uses the R4 isSummary flags (the generated table) and _elements keeps the mandatory."""

from __future__ import annotations

import orjson
from fhir_summary_table import TABLE, build_table, encoded

from caremesh.fhir.definitions import load
from caremesh.fhir.search.summary import mandatory, shape

PATIENT = orjson.dumps({
    "resourceType": "Patient", "id": "p1", "meta": {"versionId": "1"},
    "text": {"status": "generated", "div": "<div>x</div>"},
    "identifier": [{"value": "1"}], "active": True, "name": [{"family": "Doe"}], "gender": "female",
    "birthDate": "1990-01-01", "deceasedBoolean": False, "maritalStatus": {"text": "M"},
    "communication": [{"language": {"text": "en"}}], "generalPractitioner": [{"reference": "Practitioner/1"}],
    "photo": [{"contentType": "image/png"}], "contact": [{"name": {"family": "Roe"}}],
})  # fmt: skip


def keys(body: bytes) -> list[str]:
    return list(orjson.loads(body))


def test_the_shipped_table_is_what_the_generator_builds() -> None:
    # Regenerate with: .venv/bin/python tests/unit/fhir/search/fhir_summary_table.py
    assert TABLE.read_bytes() == encoded(build_table())


def test_the_table_covers_the_r4_types_with_known_flags() -> None:
    table = build_table()
    definitions = load()
    assert len(table) >= 125 and set(table) <= definitions.resource_types
    assert table["Patient"]["summary"] == [
        "active", "address", "birthDate", "deceasedBoolean", "deceasedDateTime", "gender", "id",
        "identifier", "implicitRules", "link", "managingOrganization", "meta", "name", "telecom",
    ]  # fmt: skip
    assert {"code", "status", "subject", "valueQuantity", "effectiveDateTime"} <= set(
        table["Observation"]["summary"]
    )
    assert "note" not in table["Observation"]["summary"]
    assert set(table["MedicationRequest"]["mandatory"]) == {
        "intent", "status", "subject", "medicationCodeableConcept", "medicationReference",
    }  # fmt: skip


def test_summary_true_keeps_exactly_the_summary_elements() -> None:
    shaped = keys(shape(load(), PATIENT, "Patient", "true", None))
    assert shaped == [
        "resourceType", "id", "meta", "identifier", "active", "name", "gender", "birthDate",
        "deceasedBoolean",
    ]  # fmt: skip (not text, maritalStatus, communication, generalPractitioner, photo, contact)
    tags = orjson.loads(shape(load(), PATIENT, "Patient", "true", None))["meta"]["tag"]
    assert [t["code"] for t in tags] == ["SUBSETTED"]


def test_summary_of_a_type_the_table_lacks_uses_the_heuristic() -> None:
    body = orjson.dumps({"resourceType": "MedicinalProduct", "id": "m", "identifier": [{"value": "1"}],
                         "text": {"status": "generated", "div": "<div/>"}, "name": [{"productName": "X"}]})
    shaped = keys(shape(load(), body, "MedicinalProduct", "true", None))
    assert "identifier" in shaped and "name" in shaped and "text" not in shaped
    assert mandatory(load(), "MedicinalProduct") <= {"name"}


def test_elements_are_top_level_and_keep_mandatory_ones() -> None:
    request = orjson.dumps({
        "resourceType": "ServiceRequest", "id": "s", "status": "active", "intent": "order",
        "subject": {"reference": "Patient/1"}, "note": [{"text": "x"}], "code": {"text": "c"},
    })  # fmt: skip
    shaped = keys(shape(load(), request, "ServiceRequest", None, ("code",)))
    assert shaped == ["resourceType", "id", "meta", "status", "intent", "subject", "code"]
    nested = keys(shape(load(), PATIENT, "Patient", None, ("name.family", "Patient.gender")))
    assert nested == ["resourceType", "id", "meta", "name", "gender"]  # the top-level element of a path
