"""History parameters: _count, _since and the opaque _page cursor refuse what they cannot mean."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson
import pytest

from caremesh.fhir.outcome import FhirError
from caremesh.fhir.rest.history_routes import decode_cursor, encode_cursor, parse_count, parse_since

KEY = (datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC), "Patient", "pat-1", 3)


def _cursor(direction: str, payload: object) -> str:
    return direction + base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def test_cursors_round_trip() -> None:
    assert decode_cursor(encode_cursor("o", KEY)) == ("o", KEY)
    assert decode_cursor(encode_cursor("n", KEY)) == ("n", KEY)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "x" + encode_cursor("o", KEY)[1:],
        "o!!!",
        _cursor("o", ["2024-05-01T12:00:00", "Patient", "pat-1", 3]),  # no zone
        _cursor("o", ["0001-01-01T00:00:00+14:00", "Patient", "pat-1", 3]),  # before year 1 in UTC
        _cursor("o", ["2024-05-01T12:00:00+00:00", "Pat\u0000ient", "pat-1", 3]),
        _cursor("o", ["2024-05-01T12:00:00+00:00", "Patient", "bad id", 3]),
        _cursor("o", ["2024-05-01T12:00:00+00:00", "Patient", "pat-1", 0]),
        _cursor("o", ["2024-05-01T12:00:00+00:00", "Patient", "pat-1"]),
        _cursor("o", {"not": "a list"}),
    ],
)
def test_foreign_cursors_are_400(cursor: str) -> None:
    with pytest.raises(FhirError) as raised:
        decode_cursor(cursor)
    assert raised.value.status == 400


def test_since_and_count() -> None:
    assert parse_since("2024-05-01") == datetime(2024, 5, 1, tzinfo=UTC)
    assert parse_since("2024-05-01T14:00:00+02:00") == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert parse_since(None) is None and parse_count(None) == 50 and parse_count("0") == 0
    for bad in ("0001-01-01T00:00:00+14:00", "tomorrow", "2024-13-01"):
        with pytest.raises(FhirError):
            parse_since(bad)
    for bad in ("-1", "1001", "1.5", "١٢"):
        with pytest.raises(FhirError):
            parse_count(bad)
