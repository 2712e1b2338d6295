"""``metadata`` tells the truth and validates; ``$validate`` answers 200 with an OperationOutcome."""

from __future__ import annotations

import orjson
from tests.integration.fhir.rest.fhir_rest_harness import FHIR_JSON, FhirApp

from caremesh.fhir.definitions import load
from caremesh.fhir.search.lookup import searchable
from caremesh.fhir.validation.validator import Validator


async def test_capability_statement_validates_and_lists_what_search_accepts(fhir: FhirApp) -> None:
    response = await fhir.get("metadata")
    assert response.status_code == 200, response.text
    statement = response.json()
    definitions = load()
    assert Validator(definitions).validate(statement, resource_type="CapabilityStatement") == []
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["patchFormat"] == ["application/json-patch+json"]
    rest = statement["rest"][0]
    by_type = {resource["type"]: resource for resource in rest["resource"]}
    assert set(by_type) == set(definitions.resource_types)
    observation = by_type["Observation"]
    listed = {param["name"]: param["type"] for param in observation["searchParam"]}
    expected = {code: p.type for code, p in definitions.search_params("Observation").items() if searchable(p)}
    assert listed == expected
    assert "Observation:subject" in observation["searchInclude"]
    assert "Observation:subject" in by_type["Patient"]["searchRevInclude"]
    for include in [*observation["searchInclude"], *by_type["Patient"]["searchRevInclude"][:20]]:
        name = "_include" if include.startswith("Observation:") else "_revinclude"
        kind = "Observation" if name == "_include" else "Patient"
        accepted = await fhir.get(f"{kind}?{name}={include}&_count=1", prefer="handling=strict")
        assert accepted.status_code == 200, (include, accepted.text)
    assert {
        "name": "everything",
        "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
    } in (by_type["Patient"]["operation"])
    assert {i["code"] for i in rest["interaction"]} >= {"transaction", "batch"}
    assert [op["name"] for op in rest["operation"]] == ["export"]
    assert {op["name"] for op in by_type["Group"]["operation"]} == {"export", "validate"}


_SAMPLE = {"date": "ge2020-01-01", "number": "1", "quantity": "1", "token": "x", "string": "x",
           "reference": "Patient/x", "uri": "http://example.org/x", "composite": "x$1"}  # fmt: skip


async def test_every_listed_search_parameter_is_accepted_by_search(fhir: FhirApp) -> None:
    statement = (await fhir.get("metadata")).json()
    by_type = {resource["type"]: resource for resource in statement["rest"][0]["resource"]}
    for kind in ("Patient", "Observation", "Encounter"):
        for param in by_type[kind]["searchParam"]:
            sample = _SAMPLE[param["type"]]
            if param["type"] == "composite" and param["name"].endswith("-date"):
                sample = "x$2020"
            query = f"{kind}?{param['name']}={sample}&_count=1"
            response = await fhir.get(query, prefer="handling=strict")
            assert response.status_code == 200, (query, response.text)


async def _validate(fhir: FhirApp, path: str, body: object) -> dict[str, object]:
    response = await fhir.client.post(
        f"/fhir/R4/{path}", content=orjson.dumps(body), headers={"content-type": FHIR_JSON}
    )
    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    return dict(outcome)


async def test_validate_reports_problems_with_200_and_stores_nothing(fhir: FhirApp) -> None:
    bad = {"resourceType": "Patient", "gender": "sometimes", "birthDate": "1990-13-45"}
    outcome = await _validate(fhir, "Patient/$validate", bad)
    errors = [issue for issue in outcome["issue"] if issue["severity"] == "error"]  # type: ignore[attr-defined]
    assert len(errors) >= 2
    good = {"resourceType": "Patient", "gender": "female"}
    fine = await _validate(fhir, "Patient/$validate", {"resourceType": "Parameters", "parameter": [
        {"name": "resource", "resource": good}]})  # fmt: skip
    assert [issue["severity"] for issue in fine["issue"]] == ["information"]  # type: ignore[attr-defined]
    mismatch = await _validate(fhir, "Patient/abc/$validate", {**good, "id": "xyz"})
    assert any("xyz" in issue["diagnostics"] for issue in mismatch["issue"])  # type: ignore[attr-defined]
    async with fhir.db.read() as conn:
        assert await conn.fetchval("SELECT COUNT(*) FROM fhir_resource") == 0


async def test_validate_without_a_resource_is_a_400(fhir: FhirApp) -> None:
    response = await fhir.client.post(
        "/fhir/R4/Patient/$validate", content=b"[1]", headers={"content-type": FHIR_JSON}
    )
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
