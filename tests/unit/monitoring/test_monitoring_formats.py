"""The built-in payload formats: caremesh JSON v1 (with its schema) and Withings measure groups."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from caremesh.modules.monitoring.adapters.formats.caremesh_v1 import CaremeshV1
from caremesh.modules.monitoring.adapters.formats.withings import WithingsMeasure
from caremesh.modules.monitoring.application.formats import FormatError
from caremesh.modules.monitoring.domain.candidate import Candidate, Malformed


def test_caremesh_v1_reads_each_reading_on_its_own() -> None:
    document = {
        "device": "SN-1",
        "readings": [
            {
                "id": "a",
                "kind": "glucose",
                "measured_at": "2026-11-25T07:10:00+01:00",
                "values": {"glucose": {"value": 5.4, "unit": "mmol/L"}},
            },
            {
                "id": "b",
                "kind": "glucose",
                "measured_at": "2026-11-25T07:10:00",
                "values": {"glucose": {"value": 99}},
            },
            {
                "id": "c",
                "kind": "glucose",
                "measured_at": "2026-02-30T07:10:00Z",
                "values": {"glucose": {"value": 99}},
            },
        ],
    }
    parsed = CaremeshV1().parse(document)
    first, no_offset, bad_date = parsed.entries
    assert parsed.device == "SN-1"
    assert isinstance(first, Candidate) and first.measured_at == datetime(2026, 11, 25, 6, 10, tzinfo=UTC)
    assert isinstance(no_offset, Malformed) and "measured_at" in no_offset.message
    assert isinstance(bad_date, Malformed) and bad_date.client_ref == "c"
    assert CaremeshV1().single(document, first.raw) == {
        "device": "SN-1",
        "readings": [document["readings"][0]],
    }


@pytest.mark.parametrize("document", [[], {"readings": []}, {"readings": [{}], "extra": 1}, "text"])
def test_caremesh_v1_rejects_documents_that_are_not_batches(document: object) -> None:
    with pytest.raises(FormatError):
        CaremeshV1().parse(document)


def test_withings_groups_scale_values_and_ignore_unknown_types_with_a_note() -> None:
    document = {
        "status": 0,
        "body": {
            "measuregrps": [
                {
                    "grpid": 1,
                    "date": 1795590600,
                    "measures": [
                        {"type": 1, "value": 72350, "unit": -3},
                        {"type": 6, "value": 2310, "unit": -2},
                    ],
                },
                {
                    "grpid": 2,
                    "date": 1795590600,
                    "measures": [{"type": 54, "value": 97, "unit": 0}, {"type": 11, "value": 71, "unit": 0}],
                },
                {"grpid": 3, "date": "yesterday", "measures": []},
            ]
        },
    }
    weight, oximetry, broken = WithingsMeasure().parse(document).entries
    assert isinstance(weight, Candidate) and weight.kind == "weight"
    assert weight.measurements["weight"].value == pytest.approx(72.35)
    assert weight.notes == ("ignored vendor measure types 6",)
    assert isinstance(oximetry, Candidate) and oximetry.kind == "pulse-oximetry"
    assert set(oximetry.measurements) == {"spo2", "heart_rate"}
    assert isinstance(broken, Malformed) and broken.client_ref == "3"


def test_withings_error_status_is_a_format_error() -> None:
    with pytest.raises(FormatError):
        WithingsMeasure().parse({"status": 401, "body": {}})
