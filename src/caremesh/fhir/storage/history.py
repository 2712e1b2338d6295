"""History of a resource, a type or the whole store: newest first, in keyset pages.

A page is anchored on the key ``(last_updated, res_type, res_id, version)`` of an entry it
borders, never on an offset, so versions written while a client pages through do not shift or
repeat what it sees: newer writes only ever appear before the first page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caremesh.fhir.storage.resources import COLUMNS, StoredVersion, stored_row
from caremesh.kernel.db.base import Connection

Key = tuple[datetime, str, str, int]
_KEY = "(last_updated, res_type, res_id, version)"
_NEWEST_FIRST = "last_updated DESC, res_type DESC, res_id DESC, version DESC"
_OLDEST_FIRST = "last_updated, res_type, res_id, version"


@dataclass(frozen=True)
class HistoryQuery:
    resource_type: str | None = None  # None: the whole store
    resource_id: str | None = None  # with a type: one resource
    since: datetime | None = None
    count: int = 50
    older_than: Key | None = None  # a "next" page: entries after this key in newest-first order
    newer_than: Key | None = None  # a "previous" page


@dataclass(frozen=True)
class HistoryPage:
    entries: list[StoredVersion]
    has_older: bool
    has_newer: bool

    @property
    def first_key(self) -> Key | None:
        return key_of(self.entries[0]) if self.entries else None

    @property
    def last_key(self) -> Key | None:
        return key_of(self.entries[-1]) if self.entries else None


def key_of(entry: StoredVersion) -> Key:
    return (entry.last_updated, entry.resource_type, entry.resource_id, entry.version)


def _conditions(query: HistoryQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    args: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        marks = tuple(f"${len(args) + i + 1}" for i in range(len(values)))
        where.append(sql.format(*marks))
        args.extend(values)

    if query.resource_type is not None:
        add("res_type = {}", query.resource_type)
    if query.resource_id is not None:
        add("res_id = {}", query.resource_id)
    if query.since is not None:
        add("last_updated >= {}", query.since)
    if query.older_than is not None:
        add(f"{_KEY} < ({{}}, {{}}, {{}}, {{}})", *query.older_than)
    if query.newer_than is not None:
        add(f"{_KEY} > ({{}}, {{}}, {{}}, {{}})", *query.newer_than)
    return where, args


async def history_page(conn: Connection, query: HistoryQuery) -> HistoryPage:
    where, args = _conditions(query)
    backwards = query.newer_than is not None
    sql = (
        f"SELECT {COLUMNS}, method FROM fhir_history"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {_OLDEST_FIRST if backwards else _NEWEST_FIRST} LIMIT ${len(args) + 1}"
    )
    rows = await conn.fetch(sql, *args, query.count + 1)
    more = len(rows) > query.count
    entries = [stored_row(row, row["method"]) for row in rows[: query.count]]
    if backwards:
        entries.reverse()
        return HistoryPage(entries, has_older=True, has_newer=more)
    return HistoryPage(entries, has_older=more, has_newer=query.older_than is not None)
