"""Long texts in searchable elements (found by fuzzing: PostgreSQL refused their index rows, over
its 2704-byte btree limit, so the write failed with a 500). They are stored in full, read back as
sent, and found by searches on their beginning, on both dialects."""

from __future__ import annotations

import random
import string
from typing import Any

import orjson
from robustness_app import BASE, RunningApp

from caremesh.fhir.storage.index_rows import INDEXED_TEXT_BYTES


def _words(count: int, seed: int) -> str:
    """Incompressible text (PostgreSQL compresses index rows of repeated characters)."""
    rnd = random.Random(seed)
    return " ".join("".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(2, 9))) for _ in range(count))


async def _created(app: RunningApp, resource: dict[str, Any]) -> dict[str, Any]:
    response = await app.create(str(resource["resourceType"]), orjson.dumps(resource))
    assert response.status_code == 201, response.text[:500]
    stored = response.json()
    read = await app.client.get(f"{BASE}/{resource['resourceType']}/{stored['id']}")
    assert {k: v for k, v in read.json().items() if k not in ("id", "meta")} == resource
    return dict(stored)


async def _found(app: RunningApp, query: str) -> list[str]:
    response = await app.client.get(f"{BASE}/{query}")
    assert response.status_code == 200, response.text[:500]
    return [entry["resource"]["id"] for entry in response.json().get("entry", [])]


async def test_long_strings_are_stored_and_found_by_their_beginning(app: RunningApp) -> None:
    comment = _words(600, seed=1)  # about 3.5 KB: a long pathology comment
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "pathology"},
                   "valueString": comment}  # fmt: skip
    oid = (await _created(app, observation))["id"]
    assert await _found(app, f"Observation?value-string={comment[:40]}") == [oid]
    assert await _found(app, f"Observation?value-string:contains={comment[100:130]}") == [oid]

    name = "Zoë " + "é" * 2000  # multi-byte: the cut must not split a character
    pid = (await _created(app, {"resourceType": "Patient", "name": [{"text": name}]}))["id"]
    assert await _found(app, "Patient?name=zoe") == [pid]


async def test_long_tokens_and_uris_are_stored(app: RunningApp) -> None:
    long_value = _words(500, seed=2).replace(" ", "-")
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": f"urn:sys:{long_value}", "value": long_value}],
    }
    pid = (await _created(app, patient))["id"]
    assert await _found(app, f"Patient?_id={pid}") == [pid]
    url = f"https://forms.example.org/{long_value[:30]}/{long_value}"  # :below walks path segments
    questionnaire = {"resourceType": "Questionnaire", "status": "active", "url": url}
    qid = (await _created(app, questionnaire))["id"]
    assert await _found(app, f"Questionnaire?url:below=https://forms.example.org/{long_value[:30]}") == [qid]
    assert await _found(app, f"Questionnaire?url:below=https://forms.example.org/{long_value[:29]}") == []


async def test_a_token_longer_than_the_index_keeps_is_found_by_its_whole_value(app: RunningApp) -> None:
    long_value = _words(400, seed=3).replace(" ", "-")
    assert len(long_value) > INDEXED_TEXT_BYTES
    patient = {"resourceType": "Patient", "identifier": [{"system": "urn:sys", "value": long_value}]}
    pid = (await _created(app, patient))["id"]
    assert await _found(app, f"Patient?identifier=urn:sys|{long_value}") == [pid]
