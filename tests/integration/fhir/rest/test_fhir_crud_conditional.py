"""Conditional create (If-None-Exist), update, patch and delete: 0, 1 or many matches."""

from __future__ import annotations

from typing import Any

import orjson
from fhir_rest_harness import BASE, FhirApp, patient

SYSTEM = "http://hospital.example.org/mrn"


def with_mrn(value: str, family: str = "Testperson", **extra: Any) -> dict[str, Any]:
    return patient(family, identifier=[{"system": SYSTEM, "value": value}], **extra)


async def test_if_none_exist_creates_once_then_returns_the_match(fhir: FhirApp) -> None:
    criteria = f"identifier={SYSTEM}|mrn-1"
    first = await fhir.post("Patient", with_mrn("mrn-1"), if_none_exist=criteria)
    second = await fhir.post("Patient", with_mrn("mrn-1", "Other"), if_none_exist=criteria)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["name"][0]["family"] == "Testperson"  # the existing one, untouched
    assert second.headers["etag"] == 'W/"1"'


async def test_if_none_exist_with_several_matches_is_412(fhir: FhirApp) -> None:
    await fhir.created("Patient", with_mrn("twin", "Same"))
    await fhir.created("Patient", with_mrn("twin", "Same"))
    response = await fhir.post("Patient", with_mrn("twin"), if_none_exist=f"identifier={SYSTEM}|twin")
    assert response.status_code == 412
    assert response.json()["issue"][0]["code"] == "multiple-matches"


async def test_conditional_criteria_must_be_known_and_present(fhir: FhirApp) -> None:
    unknown = await fhir.post("Patient", patient(), if_none_exist="no-such-param=1")
    empty = await fhir.post("Patient", patient(), if_none_exist="_format=json")
    assert unknown.status_code == 400 and empty.status_code == 400


async def test_conditional_update_creates_updates_or_refuses(fhir: FhirApp) -> None:
    created = await fhir.put(f"Patient?identifier={SYSTEM}|cu-1", with_mrn("cu-1", "First"))
    assert created.status_code == 201
    pid = created.json()["id"]
    updated = await fhir.put(f"Patient?identifier={SYSTEM}|cu-1", with_mrn("cu-1", "Second"))
    assert updated.status_code == 200 and updated.json()["id"] == pid
    assert updated.json()["meta"]["versionId"] == "2"
    wrong_id = await fhir.put(f"Patient?identifier={SYSTEM}|cu-1", with_mrn("cu-1", id="someone-else"))
    assert wrong_id.status_code == 400
    await fhir.created("Patient", with_mrn("cu-2"))
    await fhir.created("Patient", with_mrn("cu-2"))
    assert (await fhir.put(f"Patient?identifier={SYSTEM}|cu-2", with_mrn("cu-2"))).status_code == 412


async def test_conditional_update_without_match_uses_the_body_id(fhir: FhirApp) -> None:
    response = await fhir.put(f"Patient?identifier={SYSTEM}|cu-3", with_mrn("cu-3", id="pat-cu-3"))
    assert response.status_code == 201 and response.json()["id"] == "pat-cu-3"


async def test_conditional_delete(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", with_mrn("cd-1")))["id"]
    assert (await fhir.delete(f"Patient?identifier={SYSTEM}|cd-1")).status_code == 204
    assert (await fhir.get(f"Patient/{pid}")).status_code == 410
    assert (await fhir.delete(f"Patient?identifier={SYSTEM}|cd-1")).status_code == 204  # no match now
    await fhir.created("Patient", with_mrn("cd-2"))
    await fhir.created("Patient", with_mrn("cd-2"))
    assert (await fhir.delete(f"Patient?identifier={SYSTEM}|cd-2")).status_code == 412
    assert (await fhir.delete("Patient")).status_code == 400  # no criteria: never "delete all"


async def test_conditional_patch(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", with_mrn("cp-1")))["id"]
    operations = [{"op": "add", "path": "/active", "value": True}]
    patched = await fhir.patch(f"Patient?identifier={SYSTEM}|cp-1", operations)
    assert patched.status_code == 200 and patched.json()["id"] == pid and patched.json()["active"] is True
    assert (await fhir.patch(f"Patient?identifier={SYSTEM}|nobody", operations)).status_code == 404


async def test_if_none_exist_accepts_a_leading_type_or_question_mark(fhir: FhirApp) -> None:
    first = await fhir.post(
        "Patient", with_mrn("lead-1"), if_none_exist=f"Patient?identifier={SYSTEM}|lead-1"
    )
    second = await fhir.post("Patient", with_mrn("lead-1"), if_none_exist=f"?identifier={SYSTEM}|lead-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]


async def test_criteria_on_a_create_url_are_refused_not_ignored(fhir: FhirApp) -> None:
    # Some clients (fhirpy's get_or_create) put the criteria in the URL; ignoring them would
    # create exactly the duplicate the client tried to avoid.
    body = orjson.dumps(with_mrn("url-mrn"))
    headers = {"content-type": "application/fhir+json"}
    refused = await fhir.client.post(
        f"{BASE}/Patient?identifier={SYSTEM}|url-mrn", content=body, headers=headers
    )
    formatted = await fhir.client.post(f"{BASE}/Patient?_format=json", content=body, headers=headers)
    assert refused.status_code == 400
    assert "If-None-Exist" in refused.json()["issue"][0]["diagnostics"]
    assert formatted.status_code == 201
    found = await fhir.client.get(f"{BASE}/Patient", params={"identifier": f"{SYSTEM}|url-mrn"})
    assert len(found.json().get("entry", [])) == 1
