"""Bad input gets a precise 4xx OperationOutcome, never a 500, and writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
from fhir_rest_harness import BASE, FHIR_JSON, FhirApp, patient, running


def _outcome(response: httpx.Response, status: int, code: str | None = None) -> dict[str, object]:
    assert response.status_code == status, (response.request.content[:80], response.text)
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    if code is not None:
        assert body["issue"][0]["code"] == code, body
    return dict(body)


def _nested_extensions(depth: int) -> bytes:
    inner = b'{"url": "http://example.org/x", "valueString": "v"}'
    for _ in range(depth):
        inner = b'{"url": "http://example.org/x", "extension": [%s]}' % inner
    return b'{"resourceType": "Patient", "extension": [%s]}' % inner


BODIES = {
    b'{"resourceType": "Patient", ': (400, "structure"),  # malformed JSON
    b"[1, 2]": (400, "structure"),  # not an object
    b"": (400, "required"),
    b'{"name": [{"family": "X"}]}': (400, "required"),  # no resourceType
    b'{"resourceType": "Observation", "status": "final"}': (400, "invalid"),  # not the URL's type
    b'{"resourceType": 7}': (400, "invalid"),
    b'{"resourceType": "Patient", "gender": "robot"}': (400, None),  # fails validation
    b'{"resourceType": "Patient", "unknownElement": true}': (400, None),
    b'{"resourceType": "Patient", "birthDate": "1970-13-45"}': (400, None),
    b'{"resourceType": "Patient", "x": NaN}': (400, "structure"),
    b'\xef\xbb\xbf{"resourceType": "Patient"}': (400, "structure"),  # byte order mark
    b'{"resourceType": "Patient", "name": [{"family": "\xff"}]}': (400, "structure"),  # not UTF-8
    b'{"resourceType": "Patient", "name": [{"family": "a\\u0000b"}]}': (400, "invalid"),  # NUL
    _nested_extensions(200): (400, "structure"),  # deeper than any resource needs
}


async def test_bad_bodies_on_create(fhir: FhirApp) -> None:
    for body, (status, code) in BODIES.items():
        _outcome(await fhir.post("Patient", body), status, code)
    assert "entry" not in (await fhir.get("_history")).json()


async def test_bad_requests_on_update(fhir: FhirApp) -> None:
    pid = (await fhir.created("Patient", patient()))["id"]
    _outcome(await fhir.put(f"Patient/{pid}", patient()), 400, "required")  # no id in the body
    _outcome(await fhir.put(f"Patient/{pid}", patient(id="another")), 400, "invalid")
    _outcome(await fhir.put("Patient/bad_id!", patient(id="bad_id!")), 400, "value")
    _outcome(await fhir.put(f"Patient/{'x' * 65}", patient(id="x" * 65)), 400, "value")
    _outcome(await fhir.put(f"Patient/{pid}", patient(id=pid), if_match="yesterday"), 400, "invalid")
    _outcome(await fhir.put(f"Patient/{pid}", patient(id=pid), if_match='W/"5"'), 412, "conflict")
    assert (await fhir.get(f"Patient/{pid}")).headers["etag"] == 'W/"1"'


async def test_urls_types_and_methods(fhir: FhirApp) -> None:
    _outcome(await fhir.get("Unicorn/1"), 404, "not-supported")
    _outcome(await fhir.post("Unicorn", {"resourceType": "Unicorn"}), 404, "not-supported")
    _outcome(await fhir.get("Patient/has%20space"), 400, "value")
    _outcome(await fhir.get("Patient?family=a%00b"), 400, "invalid")
    _outcome(await fhir.client.post(f"{BASE}/Patient/abc", content=b"{}"), 405, "not-supported")
    _outcome(await fhir.client.put(f"{BASE}/_history", content=b"{}"), 405)
    _outcome(await fhir.client.delete(f"{BASE}/Patient/abc/_history/1"), 405)
    response = await fhir.client.patch(f"{BASE}/Patient/_search", content=b"{}")
    assert _outcome(response, 405) and response.headers["allow"] == "GET, POST"


async def test_media_types(fhir: FhirApp) -> None:
    body = orjson.dumps(patient())
    for content_type in ("application/xml", "application/fhir+xml", "text/plain", "multipart/form-data"):
        response = await fhir.client.post(
            f"{BASE}/Patient", content=body, headers={"content-type": content_type}
        )
        _outcome(response, 415, "not-supported")
    undeclared = await fhir.client.post(f"{BASE}/Patient", content=body, headers={"content-type": ""})
    assert undeclared.status_code == 201
    with_charset = await fhir.post("Patient", body, content_type=f"{FHIR_JSON}; charset=utf-8")
    assert with_charset.status_code == 201


async def test_authentication_failures_are_outcomes_too(fhir: FhirApp) -> None:
    anonymous = await fhir.client.get(f"{BASE}/Patient/x", headers={"authorization": ""})
    assert _outcome(anonymous, 401, "login") and anonymous.headers["www-authenticate"] == "Bearer"
    forged = await fhir.client.get(f"{BASE}/Patient/x", headers={"authorization": "Bearer not.a.jwt"})
    _outcome(forged, 401, "login")


async def test_other_routes_keep_problem_json(fhir: FhirApp) -> None:
    response = await fhir.client.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_oversized_bodies_are_413(database_url: str) -> None:
    async with running(database_url, max_body_bytes=2048) as fhir:
        small = await fhir.post("Patient", patient())
        large = patient(name=[{"family": "F" * 1000}, {"family": "G" * 1000}])
        assert small.status_code == 201
        _outcome(await fhir.post("Patient", large), 413, "too-costly")
        pid = small.json()["id"]
        _outcome(await fhir.put(f"Patient/{pid}", {**large, "id": pid}), 413)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit applies while reading
            for _ in range(5):
                yield b" " * 1000

        streamed = await fhir.client.post(
            f"{BASE}/Patient",
            content=chunks(),
            headers={"content-type": FHIR_JSON},
        )
        _outcome(streamed, 413)
        assert len((await fhir.get("Patient/_history")).json()["entry"]) == 1
