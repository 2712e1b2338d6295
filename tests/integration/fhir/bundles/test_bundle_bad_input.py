"""Malformed bundles: a precise 4xx OperationOutcome, nothing written."""

from __future__ import annotations

import orjson
import pytest
from bundle_data import bundle, count, entry, observation, patient, post_bundle, urn
from tests.integration.fhir.rest.fhir_rest_harness import FhirApp

_SAME = urn()
BAD = {
    "not json": (b"{not json", "JSON"),
    "not a bundle": (orjson.dumps(patient("x")), "Bundle"),
    "wrong type": (orjson.dumps({"resourceType": "Bundle", "type": "collection"}), "Bundle.type"),
    "duplicate fullUrl": (orjson.dumps(bundle(
        "transaction",
        entry("POST", "Patient", patient("a"), fullUrl=_SAME),
        entry("POST", "Patient", patient("b"), fullUrl=_SAME),
    )), "fullUrl"),
    "missing urn": (orjson.dumps(bundle(
        "transaction",
        entry("POST", "Patient", patient("c"), fullUrl=urn()),
        entry("POST", "Observation", observation(urn())),
    )), "names no entry"),
    "no request": (orjson.dumps({"resourceType": "Bundle", "type": "transaction",
                                 "entry": [{"resource": patient("d")}]}), "request"),
    "bad method": (orjson.dumps(bundle("transaction", entry("FETCH", "Patient"))), "request.method"),
    "bad url": (
        orjson.dumps(bundle("transaction", entry("POST", "Patient/1/x", {}))), "request.url"
    ),
    "type mismatch": (orjson.dumps(bundle("transaction", entry("POST", "Encounter", patient("f")))), "match"),
    "put without id": (orjson.dumps(bundle("transaction", entry("PUT", "Patient", patient("g")))), "id"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_bundles_are_refused_precisely(fhir: FhirApp, case: str) -> None:
    body, mentions = BAD[case]
    response = await post_bundle(fhir, body)
    assert response.status_code == 400, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert mentions in response.text
    assert await count(fhir, "Patient") == 0


async def test_an_unknown_resource_type_in_a_transaction_is_refused(fhir: FhirApp) -> None:
    response = await post_bundle(
        fhir, bundle("transaction", entry("POST", "Spaceship", {"resourceType": "Spaceship"}))
    )
    assert response.status_code in (400, 404), response.text
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_the_base_takes_only_search_and_bundles(fhir: FhirApp) -> None:
    response = await fhir.client.put("/fhir/R4", content=b"{}")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_a_bundle_entry_url_on_another_server_is_refused(fhir: FhirApp) -> None:
    sent = bundle("batch", entry("GET", "https://elsewhere.example.org/fhir/Patient/1"))
    response = await post_bundle(fhir, sent)
    assert response.status_code == 400
    assert "not on this server" in response.text
