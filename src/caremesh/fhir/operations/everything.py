"""``Patient/[id]/$everything``: the patient, its compartment and what those refer to, paged.

Parameters: ``_since`` (changed at or after), ``_type`` (comma-separated types), ``_count``
(page size, default 100, at most 1000) and ``_offset`` (set by the page links). Anything else is
a 400: a silently ignored ``start``/``end`` would return more than the client asked for. The rows
come from :mod:`everything_query`; the page links point at the operation itself.
"""

from __future__ import annotations

from urllib.parse import quote

from caremesh.fhir.bundles import searchset
from caremesh.fhir.definitions import Definitions
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.operations.everything_query import EverythingQuery, everything_rows
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.search.control import MAX_COUNT, parse_int, parse_types
from caremesh.fhir.search.engine import SearchResult
from caremesh.fhir.search.fetch import Match
from caremesh.fhir.search.paging import page_links
from caremesh.fhir.search.values import parse_date

PASSED_ON = ("_count", "_offset", "_type", "_lastUpdated")
DEFAULT_COUNT = 100
_TRANSPORT = ("_format", "_pretty")


def everything_params(query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The operation's parameters as a compartment search (kept for callers that search instead)."""
    params: list[tuple[str, str]] = []
    for name, value in query:
        if name == "_since":
            params.append(("_lastUpdated", f"ge{value}"))
        elif name in PASSED_ON:
            params.append((name, value))
        elif name not in _TRANSPORT:
            raise _unsupported(name)
    if not any(name == "_count" for name, _ in params):
        params.append(("_count", str(DEFAULT_COUNT)))
    return params


def _unsupported(name: str) -> FhirError:
    return FhirError.single(400, "not-supported", f"$everything does not take the parameter {name[:60]!r}")


def parse_everything(
    definitions: Definitions, patient_id: str, query: list[tuple[str, str]]
) -> tuple[EverythingQuery, list[tuple[str, str]]]:
    """The query, and the parameters as understood (for the page links)."""
    types: tuple[str, ...] | None = None
    since, count, offset = None, DEFAULT_COUNT, 0
    used: list[tuple[str, str]] = []
    for name, value in query:
        if name == "_since":
            try:
                since = parse_date(value).low
            except ValueError as error:
                raise FhirError.single(400, "invalid", f"_since: {error}", "_since") from None
            used.append((name, value))
        elif name == "_type":
            types = (*(types or ()), *parse_types(definitions, value))
            used.append((name, value))
        elif name == "_count":
            count = min(parse_int(name, value), MAX_COUNT)
        elif name == "_offset":
            offset = parse_int(name, value)
        elif name not in _TRANSPORT:
            raise _unsupported(name)
    return EverythingQuery(patient_id, types, since, count, offset), used


async def everything_result(
    engine: FhirEngine, patient_id: str, query: list[tuple[str, str]], *, base: str
) -> SearchResult:
    """One page of $everything; 404/410 for a patient that is not there."""
    parsed, used = parse_everything(engine.definitions, patient_id, query)
    await engine.read("Patient", patient_id)
    rows: list[tuple[str, str, bytes]] = []
    has_next = False
    if parsed.count > 0:
        async with engine.db.read() as conn:
            rows, has_next = await everything_rows(conn, engine.definitions, parsed)
    path = f"{base.rstrip('/')}/Patient/{quote(patient_id, safe='')}/$everything"
    return SearchResult(
        matches=[Match(*row) for row in rows],
        links=page_links(path, used, parsed.count, parsed.offset, has_next),
    )


async def everything(
    engine: FhirEngine, patient_id: str, query: list[tuple[str, str]], *, base: str
) -> bytes:
    return searchset(await everything_result(engine, patient_id, query, base=base), base)
