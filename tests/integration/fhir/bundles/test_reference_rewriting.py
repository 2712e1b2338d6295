"""Only ``Reference.reference`` values are rewritten, wherever they sit in the resource."""

from __future__ import annotations

import orjson
import pytest
from bundle_data import bundle, entry, patient, post_bundle, urn
from tests.integration.fhir.rest.fhir_rest_harness import FhirApp

from caremesh.fhir.outcome import FhirError
from caremesh.fhir.transaction.references import conditional_references, references, rewrite


def test_rewrite_touches_references_only() -> None:
    target = urn()
    body = orjson.dumps({
        "resourceType": "Observation",
        "identifier": [{"value": target}],
        "note": [{"text": f'"reference":"{target}"'}],
        "extension": [{"url": "http://example.org/x", "valueReference": {"reference": target}}],
        "hasMember": [{"reference": target}, {"reference": "Observation/keep"}],
    })  # fmt: skip
    rewritten = orjson.loads(rewrite(body, {target: "Patient/p1"}, "here"))
    assert rewritten["identifier"][0]["value"] == target
    assert target in rewritten["note"][0]["text"]
    assert rewritten["extension"][0]["valueReference"]["reference"] == "Patient/p1"
    assert [r["reference"] for r in rewritten["hasMember"]] == ["Patient/p1", "Observation/keep"]


def test_escaped_values_are_read_and_unknown_urns_refused() -> None:
    body = orjson.dumps(
        {"subject": {"reference": 'Patient?name=a"b'}, "focus": [{"reference": "urn:uuid:x"}]}
    )
    assert references(body) == ['Patient?name=a"b', "urn:uuid:x"]
    assert conditional_references(body) == {'Patient?name=a"b'}
    with pytest.raises(FhirError) as refused:
        rewrite(body, {}, "Bundle.entry[3].resource")
    assert refused.value.status == 400
    assert refused.value.issues[0].expression == ("Bundle.entry[3].resource",)


async def test_nested_and_contained_references_follow_the_created_ids(fhir: FhirApp) -> None:
    p = urn()
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "synthetic"},
        "contained": [{"resourceType": "Provenance", "id": "prov", "recorded": "2020-01-01T00:00:00Z",
                       "target": [{"reference": p}], "agent": [{"who": {"reference": p}}]}],
        "subject": {"reference": p},
        "extension": [{"url": "http://example.org/about", "valueReference": {"reference": p}}],
    }  # fmt: skip
    sent = bundle("transaction", entry("POST", "Patient", patient("nested"), fullUrl=p),
                  entry("POST", "Observation", observation))  # fmt: skip
    response = await post_bundle(fhir, sent)
    assert response.status_code == 200, response.text
    patient_loc, obs_loc = (item["response"]["location"] for item in response.json()["entry"])
    patient_ref = "/".join(patient_loc.split("/")[:2])
    stored = (await fhir.get("/".join(obs_loc.split("/")[:2]))).json()
    assert stored["subject"]["reference"] == patient_ref
    assert stored["extension"][0]["valueReference"]["reference"] == patient_ref
    assert stored["contained"][0]["target"][0]["reference"] == patient_ref
    assert "urn:uuid" not in orjson.dumps(stored).decode()


async def test_decimals_keep_their_digits_through_a_transaction(fhir: FhirApp) -> None:
    raw = (
        b'{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Observation"},'
        b'"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},'
        b'"valueQuantity":{"value":1.50,"unit":"mg"}}}]}'
    )
    response = await post_bundle(fhir, raw)
    assert response.status_code == 200, response.text
    location = response.json()["entry"][0]["response"]["location"]
    stored = await fhir.get("/".join(location.split("/")[:2]))
    assert b'"value":1.50' in stored.content
