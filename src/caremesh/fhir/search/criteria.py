"""A search query resolved against the definitions: what each AND-ed parameter asks for.

Each criterion holds its OR-ed values already parsed to their types, so building SQL cannot fail
and never sees raw text except as bound values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caremesh.fhir.definitions import SearchParamDef
from caremesh.fhir.outcome import FhirError, Issue

# Resource types a criterion applies to; ``None`` is every type (a system search without _type).
Scope = tuple[str, ...] | None


class UnknownParameter(Exception):
    """A parameter this server does not know or support: 400 under strict handling, else a warning."""


def invalid(name: str, message: str) -> FhirError:
    return FhirError(
        400, Issue(code="invalid", diagnostics=f"Parameter '{name}': {message}", expression=(name,))
    )


def not_supported(name: str, message: str) -> FhirError:
    issue = Issue(code="not-supported", diagnostics=f"Parameter '{name}': {message}", expression=(name,))
    return FhirError(400, issue)


@dataclass(frozen=True)
class Leaf:
    """A parameter of an index table with its OR-ed typed values (see ``leaf_values``)."""

    param: SearchParamDef
    modifier: str | None
    values: tuple[Any, ...]
    same_row: bool = False  # the values are AND-ed on one index row (see ``cardinality``)


@dataclass(frozen=True)
class Missing:
    param: SearchParamDef
    missing: bool


@dataclass(frozen=True)
class IdFilter:
    ids: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class LastUpdated:
    values: tuple[Any, ...]  # (prefix, DateRange) pairs


@dataclass(frozen=True)
class Chain:
    """``ref[:Type].inner``: the reference points at a resource of one of ``targets`` matching ``inner``."""

    param: SearchParamDef
    targets: tuple[tuple[str, Criterion], ...]


@dataclass(frozen=True)
class Has:
    """``_has:Source:ref:inner``: some Source resource refers here through ``ref`` and matches ``inner``."""

    source_type: str
    param: SearchParamDef
    inner: Criterion


Criterion = Leaf | Missing | IdFilter | LastUpdated | Chain | Has
