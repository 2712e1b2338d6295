"""Conditional interactions: the resource is named by search criteria instead of an id.

Matching runs in the write's own transaction. On PostgreSQL it first takes a transaction-scoped
advisory lock on (type, criteria), so two concurrent conditional creates with the same
If-None-Exist cannot both see "no match" and both create; SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.incoming import Incoming
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.search.engine import search
from caremesh.fhir.storage import resources
from caremesh.fhir.storage.resources import StoredVersion
from caremesh.fhir.writes import Writer, Written
from caremesh.kernel.db.base import Connection
from caremesh.kernel.ids import new_id

_LEADING_TYPE = re.compile(r"^(?:[A-Z][A-Za-z]*)?\?")
_NOT_CRITERIA = frozenset(
    {"_format", "_pretty", "_count", "_offset", "_sort", "_summary", "_elements", "_total"}
)


def without_nul(params: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``params`` unless one holds U+0000, which no stored string can contain (PostgreSQL text
    cannot): a 400 rather than a database error."""
    if any("\x00" in name or "\x00" in value for name, value in params):
        raise FhirError.single(400, "invalid", "search parameters must not contain the character U+0000")
    return params


def criteria(query: str, what: str) -> list[tuple[str, str]]:
    """The search parameters of a conditional request (paging and format parameters dropped)."""
    query = _LEADING_TYPE.sub("", query, count=1)  # "Patient?identifier=..." and "?identifier=..."
    params = [
        (name, value) for name, value in parse_qsl(query, keep_blank_values=True) if name not in _NOT_CRITERIA
    ]
    if not params:
        raise FhirError.single(400, "required", f"{what} needs search criteria, e.g. identifier=system|value")
    return without_nul(params)


class Matcher:
    def __init__(self, definitions: Definitions) -> None:
        self._definitions = definitions

    async def ids(self, conn: Connection, resource_type: str, query: str, what: str) -> list[str]:
        """Ids of the (at most two) resources matching ``query``: enough to tell 0, 1 or many."""
        params = criteria(query, what)
        if conn.dialect == "postgres":
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"{resource_type}?{query}"
            )
        found = await search(
            conn,
            definitions=self._definitions,
            resource_type=resource_type,
            params=[*params, ("_count", "2")],
            base_url="",
            handling="strict",  # an ignored criterion would widen the match to the wrong resources
        )
        return [match.res_id for match in found.matches]

    async def single(
        self, conn: Connection, resource_type: str, query: str, what: str
    ) -> StoredVersion | None:
        """The one current resource matching ``query``, None without a match, 412 with several."""
        ids = await self.ids(conn, resource_type, query, what)
        if len(ids) > 1:
            raise FhirError.single(
                412, "multiple-matches", f"{what}: the criteria match more than one {resource_type}"
            )
        return await resources.current(conn, resource_type, ids[0]) if ids else None


async def conditional_update(
    conn: Connection, matcher: Matcher, writer: Writer, incoming: Incoming, query: str, if_match: int | None
) -> Written:
    """One match: update it. None: create (with the body's id when it has one). Several: 412."""
    kind = incoming.resource_type
    match = await matcher.single(conn, kind, query, "conditional update")
    body_id = incoming.resource.get("id")
    if match is not None and body_id is not None and body_id != match.resource_id:
        text = f"id {body_id!r} in the body is not the id of the matching resource ({match.resource_id})"
        raise FhirError.single(400, "invalid", text, "id")
    target = match.resource_id if match is not None else (body_id if isinstance(body_id, str) else new_id())
    return await writer.put(conn, incoming, target, method="PUT", if_match=if_match)


async def conditional_target(
    conn: Connection, matcher: Matcher, resource_type: str, query: str, what: str
) -> str | None:
    """The id a conditional patch or delete acts on (None without a match; 412 with several)."""
    match = await matcher.single(conn, resource_type, query, what)
    return None if match is None else match.resource_id
