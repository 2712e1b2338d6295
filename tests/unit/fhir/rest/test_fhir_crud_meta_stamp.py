"""The server's id and meta stamped onto a client's JSON, nothing else rewritten."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from caremesh.fhir.meta import instant, stamp

MOMENT = datetime(2024, 2, 29, 13, 45, 6, 789, tzinfo=UTC)


def _stamp(body: bytes, version: int = 3) -> bytes:
    return stamp(body, resource_type="Observation", resource_id="obs-1", version=version, last_updated=MOMENT)


def test_server_members_come_first_and_client_members_keep_their_order() -> None:
    body = b'{"status": "final", "resourceType": "Observation", "id": "client", "code": {"text": "x"}}'
    stamped = _stamp(body)
    assert stamped.startswith(
        b'{"resourceType":"Observation","id":"obs-1","meta":{"versionId":"3",'
        b'"lastUpdated":"2024-02-29T13:45:06.000789+00:00"},"status":"final","code":'
    )


def test_client_meta_is_merged_and_server_fields_win() -> None:
    body = (
        b'{"resourceType":"Observation","meta":{"versionId":"77","tag":[{"code":"t"}],"lastUpdated":"1999"}}'
    )
    meta = orjson.loads(_stamp(body))["meta"]
    assert meta == {"versionId": "3", "lastUpdated": instant(MOMENT), "tag": [{"code": "t"}]}


def test_numbers_are_copied_verbatim() -> None:
    numbers = [b"1.50", b"1e2", b"1E-7", b"-0.0", b"100000000000000000000000001", b"0.1000000000000000055511"]
    for number in numbers:
        assert b'"value":' + number + b"}" in _stamp(
            b'{"resourceType":"Observation","value":' + number + b"}"
        )


def test_strings_survive_as_the_same_text() -> None:
    body = (
        '{"resourceType":"Observation","note":[{"text":"Zoë \\"quoted\\" \\u2603 \\ud83d\\ude00"}]}'.encode()
    )
    assert orjson.loads(_stamp(body))["note"] == orjson.loads(body)["note"]


def test_instants_are_utc_with_microseconds_and_four_digit_years() -> None:
    assert instant(datetime(5, 1, 2, tzinfo=UTC)) == "0005-01-02T00:00:00.000000+00:00"
