"""Create, read and vread through the HTTP API: status, headers, stored bytes, media types."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import orjson
from fhir_rest_harness import BASE, FhirApp, observation, patient


async def test_create_assigns_id_and_meta_and_answers_with_headers(fhir: FhirApp) -> None:
    response = await fhir.post("Patient", patient(id="client-chosen", meta={"tag": [{"code": "synthetic"}]}))
    assert response.status_code == 201
    body = response.json()
    assert body["id"] != "client-chosen"  # a create ignores the body's id
    assert body["meta"]["versionId"] == "1"
    assert body["meta"]["tag"] == [{"code": "synthetic"}]
    assert body["name"] == [{"family": "Testperson", "given": ["Synthetic"]}]
    assert response.headers["content-type"] == "application/fhir+json; charset=utf-8"
    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["location"] == f"http://fhir.test{BASE}/Patient/{body['id']}/_history/1"
    modified = parsedate_to_datetime(response.headers["last-modified"])
    assert modified.isoformat()[:19] == body["meta"]["lastUpdated"][:19]


async def test_read_returns_the_stored_bytes(fhir: FhirApp) -> None:
    created = await fhir.post("Patient", patient())
    read = await fhir.get(f"Patient/{created.json()['id']}")
    assert read.status_code == 200
    assert read.content == created.content
    assert read.headers["etag"] == 'W/"1"'
    assert read.headers["last-modified"] == created.headers["last-modified"]


async def test_decimals_and_unusual_numbers_come_back_byte_exact(fhir: FhirApp) -> None:
    subject = (await fhir.created("Patient", patient()))["id"]
    for value in ("1.50", "100.000", "1e2", "0.0000001", "-0.10", "123456789012345678901234.5"):
        created = await fhir.post("Observation", observation(subject, value))
        assert created.status_code == 201, created.text
        read = await fhir.get(f"Observation/{created.json()['id']}")
        assert b'"value":%s,' % value.encode() in read.content


async def test_client_json_is_kept_apart_from_id_and_meta(fhir: FhirApp) -> None:
    sent = b'{"resourceType": "Patient",\n  "gender": "female", "name": [{"text": "Zo\\u00eb \\"Z\\""}]}'
    body = await fhir.created("Patient", sent)
    assert list(body) == ["resourceType", "id", "meta", "gender", "name"]
    stored = orjson.loads((await fhir.get(f"Patient/{body['id']}")).content)
    stored.pop("id"), stored.pop("meta")
    assert stored == orjson.loads(sent)


async def test_vread_returns_each_version(fhir: FhirApp) -> None:
    created = await fhir.created("Patient", patient("Before"))
    pid = created["id"]
    updated = await fhir.put(f"Patient/{pid}", patient("After", id=pid))
    assert updated.status_code == 200
    first = await fhir.get(f"Patient/{pid}/_history/1")
    second = await fhir.get(f"Patient/{pid}/_history/2")
    assert first.json()["name"][0]["family"] == "Before" and first.headers["etag"] == 'W/"1"'
    assert second.content == updated.content and second.headers["etag"] == 'W/"2"'
    for missing in ("3", "0", "x"):
        assert (await fhir.get(f"Patient/{pid}/_history/{missing}")).status_code == 404


async def test_read_of_an_unknown_id_is_404_with_an_outcome(fhir: FhirApp) -> None:
    response = await fhir.get("Patient/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "not-found"


async def test_conditional_read_with_if_none_match(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    unchanged = await fhir.get(f"Patient/{pid}", if_none_match='W/"1"')
    changed = await fhir.get(f"Patient/{pid}", if_none_match='W/"7"')
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert changed.status_code == 200


async def test_json_media_types_and_format_parameter(fhir: FhirApp) -> None:
    plain = await fhir.client.post(
        f"{BASE}/Patient", content=orjson.dumps(patient()), headers={"content-type": "application/json"}
    )
    assert plain.status_code == 201
    pid = plain.json()["id"]
    as_json = await fhir.get(f"Patient/{pid}", accept="application/json")
    assert as_json.headers["content-type"].startswith("application/json")
    by_format = await fhir.get(f"Patient/{pid}?_format=json", accept="text/html")
    assert by_format.status_code == 200 and by_format.headers["content-type"].startswith(
        "application/fhir+json"
    )
    browser = await fhir.get(f"Patient/{pid}", accept="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser.status_code == 200
    assert (await fhir.get(f"Patient/{pid}?_format=xml")).status_code == 406
    assert (await fhir.get(f"Patient/{pid}", accept="application/fhir+xml")).status_code == 406
