"""JSON Patch per RFC 6902 (cases from its appendix A), with numbers kept as written."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from caremesh.fhir.outcome import FhirError
from caremesh.fhir.patch import apply_patch


def patched(document: Any, operations: list[dict[str, Any]]) -> Any:
    return orjson.loads(apply_patch(orjson.dumps(document), orjson.dumps(operations)))


@pytest.mark.parametrize(
    ("document", "operations", "expected"),
    [
        ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"foo": "bar", "baz": "qux"}),
        (
            {"foo": ["bar", "baz"]},
            [{"op": "add", "path": "/foo/1", "value": "qux"}],
            {"foo": ["bar", "qux", "baz"]},
        ),
        ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
        ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
        (
            {"baz": "qux", "foo": "bar"},
            [{"op": "replace", "path": "/baz", "value": "boo"}],
            {"baz": "boo", "foo": "bar"},
        ),
        (
            {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
            [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
            {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
        ),
        (
            {"foo": ["all", "grass", "cows", "eat"]},
            [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
            {"foo": ["all", "cows", "eat", "grass"]},
        ),
        (
            {"foo": "bar"},
            [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
            {"foo": "bar", "child": {"grandchild": {}}},
        ),
        (
            {"foo": ["bar"]},
            [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
            {"foo": ["bar", ["abc", "def"]]},
        ),
        (
            {"/": 9, "~1": 10},
            [{"op": "test", "path": "/~01", "value": 10}, {"op": "remove", "path": "/~1"}],
            {"~1": 10},
        ),
        (
            {"a": {"b": 1}},
            [{"op": "copy", "from": "/a", "path": "/c"}, {"op": "add", "path": "/c/b", "value": 2}],
            {"a": {"b": 1}, "c": {"b": 2}},
        ),
        ({"a": 1}, [{"op": "replace", "path": "", "value": {"b": 2}}], {"b": 2}),
    ],
)
def test_rfc_6902_examples(document: Any, operations: list[dict[str, Any]], expected: Any) -> None:
    assert patched(document, operations) == expected


@pytest.mark.parametrize(
    ("document", "operations", "status"),
    [
        ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], 422),
        ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], 422),
        ({"foo": [1]}, [{"op": "add", "path": "/foo/01", "value": 2}], 422),
        ({"foo": [1]}, [{"op": "add", "path": "/foo/2", "value": 2}], 422),
        ({"foo": [1]}, [{"op": "remove", "path": "/foo/-"}], 422),
        ({"a": {"b": {}}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}], 422),
        ({"a": 1}, [{"op": "test", "path": "/a", "value": True}], 422),  # true is not 1 in JSON
        ({"a": 1}, [{"op": "add", "value": 1}], 400),
        ({"a": 1}, [{"op": "copy", "path": "/b"}], 400),
        ({"a": 1}, [{"op": "replace", "path": "/a"}], 400),
        ({"a": 1}, [["not", "an", "object"]], 400),
    ],
)
def test_failures_name_the_operation(document: Any, operations: list[Any], status: int) -> None:
    with pytest.raises(FhirError) as raised:
        patched(document, operations)
    assert raised.value.status == status
    assert "operation 0" in raised.value.issues[0].diagnostics


def test_numbers_keep_their_digits_and_compare_by_value() -> None:
    document = b'{"a": 1.50, "b": [1e2, 12345678901234567890123], "c": -0.0}'
    operations = b'[{"op": "test", "path": "/a", "value": 1.5}, {"op": "add", "path": "/d", "value": 2.10}]'
    assert (
        apply_patch(document, operations) == b'{"a":1.50,"b":[1e2,12345678901234567890123],"c":-0.0,"d":2.10}'
    )
