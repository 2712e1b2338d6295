"""A scripted tour of the FHIR API of a real server process: every response body validates with the
fhir.resources R4B models (resources, searchset and history Bundles, OperationOutcomes), and every
stored resource that comes back also validates against the R4 JSON schema through our Validator.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from interop_conformance import (
    FHIR_JSON,
    assert_r4b_valid,
    assert_schema_valid,
    conformant,
    fhir_body,
    outcome,
)
from interop_server import FhirServer

from caremesh.fhir.validation.validator import Validator


@pytest.fixture
async def client(server: FhirServer) -> AsyncIterator[httpx.AsyncClient]:
    headers = {**server.headers, "content-type": FHIR_JSON, "accept": FHIR_JSON}
    async with httpx.AsyncClient(base_url=server.base, headers=headers, timeout=30) as http:
        yield http


def _patient(family: str, **extra: Any) -> bytes:
    return orjson.dumps({"resourceType": "Patient", "name": [{"family": family, "given": ["Tour"]}], **extra})


def _observation(patient_id: str, value: str) -> bytes:
    # Raw JSON so the decimal keeps its trailing zero on the way in.
    return (
        b'{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org",'
        b'"code":"2339-0","display":"Glucose"}]},"subject":{"reference":"Patient/%s"},'
        b'"effectiveDateTime":"2024-03-01T08:30:00Z","valueQuantity":{"value":%s,"unit":"mg/dL",'
        b'"system":"http://unitsofmeasure.org","code":"mg/dL"}}' % (patient_id.encode(), value.encode())
    )


async def test_interactions_answer_valid_r4b_and_r4_schema(
    client: httpx.AsyncClient, validator: Validator
) -> None:
    family = f"Tour{secrets.token_hex(4)}"
    created = conformant(await client.post("/Patient", content=_patient(family)), validator, 201)
    pid = created["id"]
    conformant(await client.get(f"/Patient/{pid}"), validator, 200)
    updated = conformant(
        await client.put(f"/Patient/{pid}", content=_patient(family, id=pid, gender="female")), validator, 200
    )
    assert updated["meta"]["versionId"] == "2" and updated["gender"] == "female"
    first = conformant(await client.get(f"/Patient/{pid}/_history/1"), validator, 200)
    assert first["meta"]["versionId"] == "1" and "gender" not in first
    history = conformant(await client.get(f"/Patient/{pid}/_history"), validator, 200)
    assert history["type"] == "history" and len(history["entry"]) == 2
    patched = conformant(
        await client.patch(
            f"/Patient/{pid}",
            content=b'[{"op":"replace","path":"/gender","value":"other"}]',
            headers={"content-type": "application/json-patch+json"},
        ),
        validator,
        200,
    )
    assert patched["gender"] == "other"


async def test_search_include_and_revinclude_bundles_are_valid(
    client: httpx.AsyncClient, validator: Validator
) -> None:
    family = f"Tour{secrets.token_hex(4)}"
    pid = conformant(await client.post("/Patient", content=_patient(family)), validator, 201)["id"]
    for value in ("1.50", "98", "104.25"):
        observation = conformant(
            await client.post("/Observation", content=_observation(pid, value)), validator, 201
        )
        assert observation["subject"]["reference"] == f"Patient/{pid}"
    included = conformant(
        await client.get(
            "/Observation", params={"subject": f"Patient/{pid}", "_include": "Observation:subject"}
        ),
        validator,
        200,
    )
    modes = sorted(entry["search"]["mode"] for entry in included["entry"])
    assert modes == ["include", "match", "match", "match"]
    revincluded = conformant(
        await client.get(
            "/Patient", params={"family": family, "_revinclude": "Observation:subject", "_total": "accurate"}
        ),
        validator,
        200,
    )
    assert revincluded["total"] == 1 and len(revincluded["entry"]) == 4
    paged = conformant(
        await client.get("/Observation", params={"subject": pid, "_count": "2"}), validator, 200
    )
    next_url = next(link["url"] for link in paged["link"] if link["relation"] == "next")
    conformant(await client.get(next_url), validator, 200)
    conformant(await client.get(f"/Patient/{pid}/Observation"), validator, 200)
    conformant(await client.get("/Patient/_history", params={"_count": "5"}), validator, 200)


async def test_delete_and_conditional_create_answer_valid_bodies(
    client: httpx.AsyncClient, validator: Validator
) -> None:
    identifier = f"urn:oid:2.16.840.1.113883.19.5|tour-{secrets.token_hex(4)}"
    system, value = identifier.split("|")
    body = _patient("Conditional", identifier=[{"system": system, "value": value}])
    created = conformant(
        await client.post("/Patient", content=body, headers={"if-none-exist": f"identifier={identifier}"}),
        validator,
        201,
    )
    again = conformant(
        await client.post("/Patient", content=body, headers={"if-none-exist": f"identifier={identifier}"}),
        validator,
        200,
    )
    assert again["id"] == created["id"]
    pid = created["id"]
    deleted = await client.delete(f"/Patient/{pid}", headers={"prefer": "return=OperationOutcome"})
    assert deleted.status_code in (200, 204), deleted.text
    if deleted.content:
        conformant(deleted, validator, deleted.status_code)
    outcome(await client.get(f"/Patient/{pid}"), 410)
    history = conformant(await client.get(f"/Patient/{pid}/_history"), validator, 200)
    assert [entry["request"]["method"] for entry in history["entry"]] == ["DELETE", "POST"]


async def test_errors_are_valid_operation_outcomes(client: httpx.AsyncClient, validator: Validator) -> None:
    outcome(await client.get("/Patient/does-not-exist-0001"), 404)
    outcome(await client.post("/Patient", content=b'{"resourceType": "Patient", '), 400)
    outcome(await client.post("/Patient", content=_patient("X").replace(b"Patient", b"Observation", 1)), 400)
    outcome(
        await client.post("/Patient", content=b'{"resourceType":"Patient","birthDate":"1990-13-45"}'), 400
    )
    outcome(await client.post("/Patient", content=b'{"resourceType":"Patient","nickname":"x"}'), 400)
    outcome(
        await client.get("/Patient", params={"unknown-param": "1"}, headers={"prefer": "handling=strict"}),
        400,
    )
    outcome(await client.get("/NoSuchType/1"), 404)
    outcome(await client.get("/Patient", headers={"authorization": "Bearer not-a-token"}), 401)
    pid = conformant(await client.post("/Patient", content=_patient("Stale")), validator, 201)["id"]
    conformant(await client.put(f"/Patient/{pid}", content=_patient("Stale", id=pid)), validator, 200)
    stale = await client.put(
        f"/Patient/{pid}", content=_patient("Stale", id=pid), headers={"if-match": 'W/"1"'}
    )
    outcome(stale, 412)
    minimal = await client.post(
        "/Patient", content=_patient("Minimal"), headers={"prefer": "return=OperationOutcome"}
    )
    assert minimal.status_code == 201
    conformant(minimal, validator, 201)


async def test_operations_answer_valid_bodies(client: httpx.AsyncClient, validator: Validator) -> None:
    capabilities = await client.get("/metadata")
    assert capabilities.status_code == 200, capabilities.text
    statement = fhir_body(capabilities)
    assert statement["resourceType"] == "CapabilityStatement" and statement["fhirVersion"] == "4.0.1"
    assert_r4b_valid(statement)
    assert_schema_valid(validator, statement)

    pid = conformant(await client.post("/Patient", content=_patient("Everything")), validator, 201)["id"]
    conformant(await client.post("/Observation", content=_observation(pid, "7.25")), validator, 201)
    everything = conformant(await client.get(f"/Patient/{pid}/$everything"), validator, 200)
    assert sorted(e["resource"]["resourceType"] for e in everything["entry"]) == ["Observation", "Patient"]

    invalid = b'{"resourceType":"Patient","birthDate":"1990-02-30"}'
    checked = conformant(await client.post("/Patient/$validate", content=invalid), validator, 200)
    assert any(issue["severity"] == "error" for issue in checked["issue"]), checked
