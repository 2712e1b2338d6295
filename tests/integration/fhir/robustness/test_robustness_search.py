"""Hostile search queries (SQL and FHIRPath injection, NUL bytes, very long values, unicode, bad
prefixes, modifiers, chains, controls) never give a 500: a search answers a searchset Bundle or a
4xx OperationOutcome in FHIR JSON, and never changes the store."""

from __future__ import annotations

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from robustness_app import BASE, FHIR_JSON, RunningApp, assert_outcome
from robustness_strategies import INJECTIONS, RAW_QUERIES, SEARCHED_TYPES, search_params

from caremesh.fhir.indexing.normalize import normalize_string

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
async def seeded(app: RunningApp) -> RunningApp:
    """A few resources, so injected conditions have rows to leak if they ever reached the SQL."""
    patient = await app.create("Patient", b'{"resourceType":"Patient","name":[{"family":"Seed"}]}')
    pid = patient.json()["id"]
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": "2024-03-01",
        "valueQuantity": {
            "value": 5.5,
            "unit": "mmol/L",
            "system": "http://unitsofmeasure.org",
            "code": "mmol/L",
        },
    }
    assert (await app.create("Observation", orjson.dumps(observation))).status_code == 201
    return app


def _assert_answer(response: httpx.Response) -> None:
    if response.status_code != 200:
        assert_outcome(response)
        return
    assert response.headers["content-type"].startswith(FHIR_JSON), response.headers
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset", bundle


@EXAMPLES
@given(data=st.data(), handling=st.sampled_from((None, "strict", "lenient")))
async def test_hostile_search_parameters(
    seeded: RunningApp, data: st.DataObject, handling: str | None
) -> None:
    resource_type = data.draw(st.sampled_from(SEARCHED_TYPES))
    params = data.draw(search_params(resource_type))
    note(f"{resource_type}?{params!r:.1000} handling={handling}")
    headers = {"prefer": f"handling={handling}"} if handling else {}
    before = await seeded.counts()
    response = await seeded.client.get(f"{BASE}/{resource_type}", params=tuple(params), headers=headers)
    event(f"status {response.status_code}")
    _assert_answer(response)
    assert await seeded.counts() == before


@EXAMPLES
@given(query=st.one_of(st.sampled_from(RAW_QUERIES), st.text(max_size=60)), via_post=st.booleans())
async def test_raw_query_strings(seeded: RunningApp, query: str, via_post: bool) -> None:
    note(f"query={query!r} via_post={via_post}")
    raw = query.encode("utf-8", "surrogatepass")
    if via_post:
        form = {"content-type": "application/x-www-form-urlencoded"}
        response = await seeded.client.post(f"{BASE}/Observation/_search", content=raw, headers=form)
    else:
        url = httpx.URL(f"{BASE}/Observation", query=_printable(raw))
        response = await seeded.client.get(url)
    event(f"status {response.status_code}")
    _assert_answer(response)


def _printable(raw: bytes) -> bytes:
    # What a client can put in a URL: no raw controls, spaces or non-ASCII, and "#" starts a fragment.
    return b"".join(bytes([b]) if 0x21 <= b < 0x7F and b != 0x23 else b"%%%02X" % b for b in raw)


_ONE_OF_EACH_TYPE = (
    ("Patient", "family"), ("Patient", "identifier"), ("Patient", "birthdate"), ("Patient", "_id"),
    ("Observation", "value-quantity"), ("Observation", "subject"), ("Observation", "code-value-quantity"),
    ("Observation", "subject:Patient.name"), ("Patient", "_has:Observation:subject:code"),
)  # fmt: skip
_STRING_PARAMS = frozenset({"family", "subject:Patient.name"})


async def test_injections_match_nothing_in_any_search_parameter_type(seeded: RunningApp) -> None:
    """Every injection string, as the value of a parameter of each search type (and of a chain and
    a reverse chain), finds nothing: none of them is a value the seeded resources have."""
    for value in INJECTIONS:
        for resource_type, name in _ONE_OF_EACH_TYPE:
            response = await seeded.client.get(f"{BASE}/{resource_type}", params={name: value})
            _assert_answer(response)
            # A string that normalises to nothing (a lone combining accent) is an empty value,
            # which FHIR says to ignore: it may match everything.
            ignored = name in _STRING_PARAMS and not normalize_string(value)
            if response.status_code == 200 and not ignored:
                assert response.json().get("entry", []) == [], (resource_type, name, value)
