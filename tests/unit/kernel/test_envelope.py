"""Envelopes survive the wire and malformed ones are refused with a reason."""

from __future__ import annotations

import pytest

from caremesh.kernel.events.envelope import Envelope


def test_round_trip_keeps_every_field() -> None:
    from datetime import UTC, datetime

    original = Envelope(
        id="e1", type="m.Happened", version=2, source="m", aggregate_id="a1",
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), payload={"k": [1, 2]},
        headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    assert Envelope.from_bytes(original.to_bytes()) == original


@pytest.mark.parametrize("raw", [b"not json", b"{}", b'{"id": "x"}', b"[1,2]"])
def test_malformed_envelopes_raise_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError, match="malformed event envelope"):
        Envelope.from_bytes(raw)
