"""Update (also as create), optimistic locking with If-Match, delete with history kept."""

from __future__ import annotations

from fhir_rest_harness import BASE, FhirApp, patient


async def test_update_makes_a_new_version(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient("One")))["id"]
    response = await fhir.put(f"Patient/{pid}", patient("Two", id=pid))
    assert response.status_code == 200
    assert response.json()["meta"]["versionId"] == "2"
    assert response.headers["etag"] == 'W/"2"'
    assert response.headers["location"].endswith(f"{BASE}/Patient/{pid}/_history/2")
    read = await fhir.get(f"Patient/{pid}")
    assert read.json()["name"][0]["family"] == "Two"


async def test_update_as_create_with_a_client_id(fhir: FhirApp) -> None:
    response = await fhir.put("Patient/pat-client-1", patient(id="pat-client-1"))
    assert response.status_code == 201
    assert response.json()["id"] == "pat-client-1"
    assert response.json()["meta"]["versionId"] == "1"
    again = await fhir.put("Patient/pat-client-1", patient("Again", id="pat-client-1"))
    assert again.status_code == 200 and again.json()["meta"]["versionId"] == "2"


async def test_if_match_guards_against_lost_updates(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    current = await fhir.put(f"Patient/{pid}", patient("A", id=pid), if_match='W/"1"')
    stale = await fhir.put(f"Patient/{pid}", patient("B", id=pid), if_match='W/"1"')
    assert current.status_code == 200
    assert stale.status_code == 412
    assert stale.json()["issue"][0]["code"] == "conflict"
    assert (await fhir.get(f"Patient/{pid}")).json()["name"][0]["family"] == "A"
    missing = await fhir.put("Patient/never-made", patient(id="never-made"), if_match='W/"1"')
    assert missing.status_code == 412


async def test_meta_versionid_in_the_body_is_not_a_lock_but_is_replaced(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    body = patient(id=pid, meta={"versionId": "99", "lastUpdated": "2001-01-01T00:00:00Z", "source": "#lab"})
    response = await fhir.put(f"Patient/{pid}", body)
    assert response.status_code == 200
    meta = response.json()["meta"]
    assert meta["versionId"] == "2" and meta["source"] == "#lab"
    assert not meta["lastUpdated"].startswith("2001")


async def test_delete_keeps_history_and_read_answers_gone(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    deleted = await fhir.delete(f"Patient/{pid}")
    assert deleted.status_code == 204 and deleted.headers["etag"] == 'W/"2"'
    gone = await fhir.get(f"Patient/{pid}")
    assert gone.status_code == 410
    assert gone.json()["issue"][0]["code"] == "deleted"
    assert (await fhir.get(f"Patient/{pid}/_history/1")).status_code == 200
    assert (await fhir.get(f"Patient/{pid}/_history/2")).status_code == 410
    history = (await fhir.get(f"Patient/{pid}/_history")).json()
    assert [e["request"]["method"] for e in history["entry"]] == ["DELETE", "POST"]
    assert "resource" not in history["entry"][0]


async def test_delete_is_idempotent_and_a_deleted_resource_can_come_back(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    assert (await fhir.delete(f"Patient/{pid}")).status_code == 204
    assert (await fhir.delete(f"Patient/{pid}")).status_code == 204
    assert (await fhir.delete("Patient/never-existed")).status_code == 204
    back = await fhir.put(f"Patient/{pid}", patient("Back", id=pid))
    assert back.status_code == 201 and back.json()["meta"]["versionId"] == "3"
    assert (await fhir.get(f"Patient/{pid}")).status_code == 200


async def test_delete_with_a_stale_if_match_is_refused(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    await fhir.put(f"Patient/{pid}", patient(id=pid))
    assert (await fhir.delete(f"Patient/{pid}", if_match='W/"1"')).status_code == 412
    assert (await fhir.get(f"Patient/{pid}")).status_code == 200
    assert (await fhir.delete(f"Patient/{pid}", if_match='W/"2"')).status_code == 204


async def test_deleted_resources_leave_search_but_not_history(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient("Vanishing")))["id"]
    found = (await fhir.get("Patient?family=Vanishing")).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [pid]
    await fhir.delete(f"Patient/{pid}")
    assert "entry" not in (await fhir.get("Patient?family=Vanishing")).json()
    assert len((await fhir.get("Patient/_history")).json()["entry"]) == 2
