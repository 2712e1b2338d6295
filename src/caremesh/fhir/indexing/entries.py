"""Typed search-index entries, one table per search-parameter type.

Ranges are closed intervals ``[low, high]`` so that every prefix (eq ne gt lt ge le sa eb ap)
becomes a comparison of two intervals: a date ``2020-03`` indexes as the whole of March, a
decimal ``1.5`` as ``[1.45, 1.55]`` (its implicit precision), a Period as its start..end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class StringEntry:
    param: str
    value: str  # normalised for matching: case-folded, accents removed, whitespace collapsed
    exact: str  # as written, for :exact


@dataclass(frozen=True, slots=True)
class TokenEntry:
    param: str
    system: str | None
    code: str | None
    text: str | None = None  # display / CodeableConcept.text, for :text
    # An Identifier's type (one entry per coding of Identifier.type), for :of-type
    type_system: str | None = None
    type_code: str | None = None


@dataclass(frozen=True, slots=True)
class DateEntry:
    param: str
    low: datetime  # timezone-aware UTC; datetime.min-ish for an open start
    high: datetime


@dataclass(frozen=True, slots=True)
class NumberEntry:
    param: str
    value: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class QuantityEntry:
    param: str
    system: str | None
    code: str | None  # coded unit (UCUM code) when present
    unit: str | None  # human unit as written
    value: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class ReferenceEntry:
    param: str
    target_type: str | None  # for local references "Patient/123": "Patient"
    target_id: str | None
    url: str | None = None  # absolute or canonical URL when the reference is not local


@dataclass(frozen=True, slots=True)
class UriEntry:
    param: str
    value: str


ComponentEntry = (
    TokenEntry | QuantityEntry | DateEntry | StringEntry | ReferenceEntry | NumberEntry | UriEntry
)


@dataclass(frozen=True, slots=True)
class CompositeEntry:
    """A composite parameter's components taken from the SAME element (e.g. one Observation.component).

    ``parts`` holds one entry per component, in the parameter's component order; each part is one
    of the entries above with ``param`` set to the composite's code.
    """

    param: str
    parts: tuple[ComponentEntry, ...]


IndexEntry = ComponentEntry | CompositeEntry
