"""Hypothesis strategies for bad input: random JSON, mutated Synthea resources, hostile queries."""

from __future__ import annotations

import copy
import json
import string
from functools import cache
from pathlib import Path
from random import Random
from typing import Any

import orjson
from hypothesis import strategies as st

from caremesh.fhir.definitions import load

SYNTHEA_SAMPLE = Path(__file__).resolve().parents[3] / "data" / "synthea" / "bundle-0065.json"
SEARCHED_TYPES = ("Patient", "Observation", "Encounter", "Condition", "MedicationRequest")
INJECTIONS = (
    "' OR 1=1 --", "'; DROP TABLE fhir_resource; --", '" OR ""="', "1; SELECT pg_sleep(5)",
    "%' OR '%'='", "\\", "'", "$1", "?", ":name", "%00", "\x00", "a\x00b",
    "Patient.name.where(true)", "name.exists() or true", "%resource.id", "$this", "iif(true, 1, 0)",
    "Observation.subject.resolve()", "${jndi:ldap://127.0.0.1/a}", "<script>alert(1)</script>",
    "../../etc/passwd", "*", "%", "_", "[]", "{}", "null", "true", "NaN", "-Infinity", "1e309",
    "ge", "gt2024-13-45", "eq", "lt-1", "ap1e400", "sa", "2024-02-30", "2024-01-01T25:61:61Z",
    "|", "||", "|a|b", "Patient/", "/", "Patient/../Observation/1",
    "ß\u0130\u212a", "\u202e\u202d", "\ud7ff\ue000", "👩‍⚕️", "\u0301", "Zo\u00eb",
)  # fmt: skip
RAW_QUERIES = (
    "%", "%ZZ", "%00", "%E2%82", "=", "&&&", "name", "name=%FF%FE", "_count=-1", "_count=99999999999999",
    "_count=1.5", "_sort=", "_sort=-", "_sort=--name", "_include=*", "_include=Observation:subject:iterate",
    "_revinclude=Observation:nope", "_has=x", "_has:Observation:patient:code=1", "subject:Patient.name=x",
    "subject:Patient.subject:Patient.name=x", "_elements=,,,", "_summary=maybe", "_total=lots",
    "name:exact=", "name:nonsense=x", "birthdate=ge", "_lastUpdated=gt2024&_lastUpdated=lt2023",
)  # fmt: skip

MODIFIERS = (
    "", ":exact", ":contains", ":missing", ":not", ":text", ":above", ":below", ":identifier", ":of-type",
    ":Patient", ":bogus", ".name", ":Patient.name",
)  # fmt: skip
CONTROLS = (
    "_count", "_sort", "_include", "_revinclude", "_elements", "_summary", "_total", "_id", "_lastUpdated",
    "_tag", "_has:Observation:subject:code", "_text",
)  # fmt: skip


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    numbers = st.integers(min_value=-(2**70), max_value=2**70) | st.floats(
        allow_nan=False, allow_infinity=False
    )
    leaves = st.none() | st.booleans() | numbers | st.text(max_size=30) | st.sampled_from(INJECTIONS)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=max_leaves,
    )


@cache
def synthea_resources() -> tuple[dict[str, Any], ...]:
    """One resource of each type of a Synthea bundle, valid on its own: its ``urn:uuid:``
    references (which only resolve inside a transaction) rewritten to ``Type/id``."""
    raw = SYNTHEA_SAMPLE.read_bytes()
    for entry in orjson.loads(raw)["entry"]:
        local = f"{entry['resource']['resourceType']}/{entry['resource']['id']}"
        raw = raw.replace(f'"{entry["fullUrl"]}"'.encode(), f'"{local}"'.encode())
    first_of_each: dict[str, dict[str, Any]] = {}
    for entry in orjson.loads(raw)["entry"]:
        first_of_each.setdefault(entry["resource"]["resourceType"], entry["resource"])
    return tuple(first_of_each.values())


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here] if here else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*here, index))
    return found


def _mutated(resource: dict[str, Any], path: tuple[Any, ...], how: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(resource)
    parent: Any = changed
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "remove" and isinstance(parent, dict):
        del parent[last]
    elif how == "rename" and isinstance(parent, dict):
        parent[f"{last}X"] = parent.pop(last)
    else:
        parent[last] = value
    return changed


@st.composite
def mutated_synthea(draw: st.DrawFn) -> dict[str, Any]:
    resource = draw(st.sampled_from(synthea_resources()))
    path = draw(st.sampled_from(_paths(resource)))
    how = draw(st.sampled_from(("replace", "retext", "lengthen", "remove", "rename")))
    # "retext" and "lengthen" put a string where a string was: often still valid, so the write path
    # beyond validation (indexing, storage) is fuzzed too; "lengthen" with texts of kilobytes.
    if how == "retext":
        value = draw(st.text(max_size=20))
    elif how == "lengthen":
        value = _long_words(draw(st.integers(min_value=0, max_value=2**32)))
    else:
        value = draw(json_values(max_leaves=5))
    return _mutated(resource, path, how, value)


def _long_words(seed: int) -> str:
    """Kilobytes of incompressible words (a repeated character would compress in an index); from a
    seed, so hypothesis draws one number rather than thousands."""
    rnd = Random(seed)
    words = ("".join(rnd.choices(string.ascii_lowercase + "éß", k=rnd.randint(2, 9))) for _ in range(700))
    return " ".join(words)


def _serialized(value: Any) -> bytes:
    # The standard library, because orjson refuses integers beyond 64 bits (clients do send them).
    return json.dumps(value, ensure_ascii=False).encode()


def _truncated(body: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(min_value=0, max_value=max(len(body) - 1, 0)).map(lambda cut: body[:cut])


def write_bodies() -> st.SearchStrategy[bytes]:
    """Bodies of a create or an update: mostly wrong, sometimes (after a harmless mutation) right."""
    typed = st.fixed_dictionaries(
        {
            "resourceType": st.sampled_from(
                (*SEARCHED_TYPES, "Bundle", "patient", "", "Nope", "OperationOutcome")
            )
        },
        optional={"id": st.text(max_size=70), "meta": json_values(5), "name": json_values(5)},
    )
    mutated = mutated_synthea()
    return st.one_of(
        json_values().map(_serialized),
        typed.map(_serialized),
        mutated.map(_serialized),
        mutated.map(_serialized),  # twice: near-valid bodies reach deeper into validation and storage
        mutated.map(_serialized).flatmap(_truncated),
        st.binary(max_size=64),
        st.sampled_from((b"", b"{", b"[]", b"null", b'{"resourceType":"Patient"}garbage', b"\xff\xfe{}")),
    )


@cache
def _param_names(resource_type: str) -> tuple[str, ...]:
    return tuple(sorted(load().search_params(resource_type)))


def _hostile_text() -> st.SearchStrategy[str]:
    # Long, yet short enough for a client to send (httpx refuses a query beyond 64 KiB encoded).
    long_value = st.sampled_from(("x", "'", "é", "%")).map(lambda c: c * 2000)
    return st.sampled_from(INJECTIONS) | st.text(max_size=40) | long_value


@st.composite
def search_params(draw: st.DrawFn, resource_type: str) -> list[tuple[str, str]]:
    known = st.sampled_from(_param_names(resource_type))
    modifier = st.sampled_from(MODIFIERS)
    name = st.one_of(st.tuples(known, modifier).map("".join), st.sampled_from(CONTROLS), st.text(max_size=20))
    prefix = st.sampled_from(("", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "xx"))
    value = st.one_of(st.tuples(prefix, _hostile_text()).map("".join), _hostile_text())
    return draw(st.lists(st.tuples(name, value), min_size=1, max_size=4))
