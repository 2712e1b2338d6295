"""The Prefer header (RFC 7240) as FHIR reads it."""

from __future__ import annotations

import pytest

from caremesh.fhir.prefer import Prefer, parse_prefer


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Prefer()),
        ("return=minimal", Prefer(return_="minimal")),
        ('return="OperationOutcome"', Prefer(return_="OperationOutcome")),
        ("RETURN=Representation", Prefer(return_="representation")),
        ("handling=strict, return=minimal", Prefer(return_="minimal", handling="strict")),
        ("respond-async", Prefer(respond_async=True)),
        ("return=minimal; charset=x, return=representation", Prefer(return_="minimal")),  # first one wins
        ("return=bogus, handling=sloppy, =, ,;", Prefer()),
    ],
)
def test_parse_prefer(header: str | None, expected: Prefer) -> None:
    assert parse_prefer(header) == expected
