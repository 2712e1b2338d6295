"""FHIR R4 search: parse the query, select one page of ids, read their bodies once, add includes.

Every AND-ed criterion is a subquery on the index tables that starts from (res_type, param); the
page query intersects them on ``fhir_resource`` and orders the ids; only the page's bodies are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.outcome import Issue
from caremesh.fhir.search.compartment import compartment_scope, compartment_sql
from caremesh.fhir.search.control import Control
from caremesh.fhir.search.criteria import Criterion, LastUpdated, Leaf
from caremesh.fhir.search.fetch import Match, fetch_bodies
from caremesh.fhir.search.include import collect_included
from caremesh.fhir.search.paging import page_links, search_path
from caremesh.fhir.search.query import Query, parse_query
from caremesh.fhir.search.sort import order_by
from caremesh.fhir.search.sql_common import Binder
from caremesh.fhir.search.sql_criteria import criterion_sql
from caremesh.fhir.search.summary import shape
from caremesh.kernel.db import Connection

__all__ = ["Match", "SearchResult", "page_sql", "search"]

# The same statement text serves searches of very different selectivity; a plan made without the
# values (PostgreSQL's generic plan, chosen after five executions of a prepared statement) walks
# whole tables in id order. Searches are planned with their values instead. On an error the
# setting goes with the rolled-back transaction, or with the pool's RESET ALL on release.
_CUSTOM_PLANS = "SET plan_cache_mode = force_custom_plan"


@dataclass
class SearchResult:
    matches: list[Match] = field(default_factory=list)
    included: list[Match] = field(default_factory=list)
    total: int | None = None
    links: dict[str, str] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


@dataclass
class _Filter:
    where: str
    args: list[object]
    has_ranges: bool = False


def _has_ranges(criteria: list[Criterion]) -> bool:
    return any(
        isinstance(c, LastUpdated) or (isinstance(c, Leaf) and c.param.type in ("date", "number", "quantity"))
        for c in criteria
    )


def _filter(
    conn: Connection, definitions: Definitions, query: Query, compartment: tuple[str, str] | None
) -> _Filter:
    b = Binder(conn.dialect)
    scope = query.scope
    conditions = ["r.deleted = 0"]
    if compartment is not None:
        scope = compartment_scope(definitions, compartment, scope)
        conditions.append(compartment_sql("r", definitions, scope, compartment[1], b))
    if scope is not None:
        conditions.insert(
            0, f"r.res_type = {b(scope[0])}" if len(scope) == 1 else f"r.res_type IN ({b.many(scope)})"
        )
    conditions += [criterion_sql("r", scope, c, b) for c in query.criteria]
    return _Filter(" AND ".join(conditions), b.args, _has_ranges(query.criteria))


async def _total(conn: Connection, control: Control, found: _Filter) -> int | None:
    count_only = control.summary == "count" or control.count == 0
    if control.total == "none" and not count_only:
        return None
    if control.total == "estimate" and not count_only and conn.dialect == "postgres":
        plan = await conn.fetchval(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM fhir_resource r WHERE {found.where}", *found.args
        )
        return int(orjson.loads(plan)[0]["Plan"]["Plan Rows"])
    return int(await conn.fetchval(f"SELECT COUNT(*) FROM fhir_resource r WHERE {found.where}", *found.args))


def _page_statement(dialect: str, control: Control, found: _Filter) -> tuple[str, list[object]]:
    """One row more than the page, to know whether there is a next page."""
    b = Binder(dialect)
    b.args = list(found.args)
    order = order_by("r", control.sort, b)
    source = f"fhir_resource r WHERE {found.where}"
    if dialect == "postgres" and found.has_ranges:
        # PostgreSQL misjudges how few rows satisfy interval comparisons (low and high are
        # correlated) and would walk the whole type in id order to fill a page; matching first
        # keeps the cost proportional to the matches.
        source = f"(SELECT r.res_type, r.res_id, r.last_updated FROM {source} OFFSET 0) r"
    sql = (
        f"SELECT r.res_type, r.res_id FROM {source} {order} "
        f"LIMIT {b(control.count + 1)} OFFSET {b(control.offset)}"
    )
    return sql, b.args


async def _page(conn: Connection, control: Control, found: _Filter) -> list[tuple[str, str]]:
    sql, args = _page_statement(conn.dialect, control, found)
    return [(row[0], row[1]) for row in await conn.fetch(sql, *args)]


def page_sql(
    conn: Connection,
    *,
    definitions: Definitions,
    resource_type: str | None,
    params: list[tuple[str, str]],
    base_url: str,
) -> tuple[str, list[object]]:
    """The statement that selects a page's ids, with its arguments (for EXPLAIN in tests and benchmarks)."""
    query = parse_query(
        definitions, resource_type, params, base_url=base_url, handling="lenient", now=datetime.now(UTC)
    )
    return _page_statement(conn.dialect, query.control, _filter(conn, definitions, query, None))


def _shaped(definitions: Definitions, control: Control, matches: list[Match]) -> list[Match]:
    if control.elements is None and control.summary in (None, "false"):
        return matches
    return [
        Match(m.res_type, m.res_id, shape(definitions, m.body, m.res_type, control.summary, control.elements))
        for m in matches
    ]


async def search(
    conn: Connection,
    *,
    definitions: Definitions,
    resource_type: str | None,
    params: list[tuple[str, str]],
    base_url: str,
    handling: str = "lenient",
    compartment: tuple[str, str] | None = None,
) -> SearchResult:
    """Search ``resource_type`` (every type when None: ``_type`` narrows it) with FHIR R4 semantics.

    Raises :class:`caremesh.fhir.outcome.FhirError` (400) for invalid values, unsupported
    modifiers, and unknown parameters under strict handling.
    """
    query = parse_query(
        definitions, resource_type, params, base_url=base_url, handling=handling, now=datetime.now(UTC)
    )
    found = _filter(conn, definitions, query, compartment)
    if conn.dialect == "postgres":
        conn.holds_session_state()  # reset on release should the search fail before its RESET
        await conn.execute(_CUSTOM_PLANS)
    result = await _run(conn, definitions, query, found, base_url, compartment)
    if conn.dialect == "postgres":
        await conn.execute("RESET plan_cache_mode")
    return result


async def _run(
    conn: Connection,
    definitions: Definitions,
    query: Query,
    found: _Filter,
    base_url: str,
    compartment: tuple[str, str] | None,
) -> SearchResult:
    control = query.control
    result = SearchResult(total=await _total(conn, control, found), issues=query.issues)
    path = search_path(base_url, query.resource_type, compartment)
    if control.summary == "count" or control.count == 0:
        result.links = page_links(path, query.used, control.count, control.offset, has_next=False)
        return result
    page = await _page(conn, control, found)
    has_next = len(page) > control.count
    matches = await fetch_bodies(conn, page[: control.count])
    included = await collect_included(conn, matches, control.includes, control.revincludes)
    result.matches = _shaped(definitions, control, matches)
    result.included = _shaped(definitions, control, included)
    result.links = page_links(path, query.used, control.count, control.offset, has_next)
    return result
