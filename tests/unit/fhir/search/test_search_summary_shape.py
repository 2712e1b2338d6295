"""_summary and _elements keep top-level elements as written and tag the result SUBSETTED."""

from __future__ import annotations

import json

import orjson
from hypothesis import given
from hypothesis import strategies as st

from caremesh.fhir.definitions import load
from caremesh.fhir.search.summary import shape, top_level_members

OBSERVATION = (
    b'{"resourceType":"Observation","id":"o1","meta":{"versionId":"2"},"status":"final",'
    b'"text":{"status":"generated","div":"<div>x</div>"},"code":{"text":"BP"},'
    b'"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":1.50,"unit":"mmHg"},'
    b'"_status":{"extension":[]},"note":[{"text":"long"}],"interpretation":[{"text":"H"}]}'
)


def keys(body: bytes) -> list[str]:
    return list(orjson.loads(body))


def is_subsetted(body: bytes) -> bool:
    return any(t["code"] == "SUBSETTED" for t in orjson.loads(body)["meta"]["tag"])


def test_elements_keeps_the_asked_and_the_mandatory_and_digits() -> None:
    shaped = shape(load(), OBSERVATION, "Observation", None, ("valueQuantity", "Observation.subject"))
    # status and code are mandatory (min 1): kept whether asked or not
    expected = ["resourceType", "id", "meta", "status", "code", "subject", "valueQuantity", "_status"]
    assert keys(shaped) == expected
    assert b'"value":1.50' in shaped  # copied as written, not re-serialised
    assert is_subsetted(shaped)
    assert orjson.loads(shaped)["meta"]["versionId"] == "2"


def test_summary_true_keeps_summary_elements() -> None:
    shaped = keys(shape(load(), OBSERVATION, "Observation", "true", None))
    assert {"status", "_status", "code", "subject", "valueQuantity"} <= set(shaped)
    assert "text" not in shaped and "note" not in shaped


def test_summary_text_and_data() -> None:
    text = shape(load(), OBSERVATION, "Observation", "text", None)
    assert keys(text) == ["resourceType", "id", "meta", "status", "text", "code", "_status"]
    data = shape(load(), OBSERVATION, "Observation", "data", None)
    assert "text" not in keys(data) and "note" in keys(data) and is_subsetted(data)


def test_no_summary_leaves_the_bytes_alone() -> None:
    assert shape(load(), OBSERVATION, "Observation", None, None) is OBSERVATION
    assert shape(load(), OBSERVATION, "Observation", "false", None) is OBSERVATION


def test_a_resource_without_meta_gets_one() -> None:
    shaped = shape(
        load(), b'{"resourceType":"Patient","id":"p","gender":"male"}', "Patient", None, ("gender",)
    )
    assert keys(shaped) == ["resourceType", "id", "meta", "gender"] and is_subsetted(shaped)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6), st.booleans())
def test_top_level_members_reads_any_object(obj: dict, pretty: bool) -> None:
    text = json.dumps(obj, indent=2 if pretty else None)
    members = top_level_members(text)
    assert [k for k, _ in members] == list(obj)
    assert {k: json.loads(v) for k, v in members} == obj
