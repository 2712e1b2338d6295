"""Rebuild the search-index rows of stored resources from their current bodies.

Needed when what the index keeps changes (the 0003 migration added Identifier types and composite
columns: rows written before it lack them until reindexed). New writes always index in full.

The store is walked in (type, id) order, a page per transaction: each page's rows are locked
(``FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time) so a concurrent write of the same
resource cannot interleave between reading its body and replacing its index rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import orjson

from caremesh.fhir.indexing.entries import IndexEntry
from caremesh.fhir.storage.index_rows import delete_entries, write_entries
from caremesh.kernel.db.base import Connection, Database

DEFAULT_PAGE = 500


class EntrySource(Protocol):
    def entries(self, resource: dict[str, Any]) -> list[IndexEntry]: ...


def _page_sql(dialect: str, types: Sequence[str] | None) -> str:
    only = ""
    if types:
        only = "AND res_type IN (" + ", ".join(f"${i + 4}" for i in range(len(types))) + ") "
    lock = " FOR UPDATE" if dialect == "postgres" else ""
    return (
        "SELECT res_type, res_id, body FROM fhir_resource "
        f"WHERE deleted = 0 AND (res_type > $1 OR (res_type = $1 AND res_id > $2)) {only}"
        f"ORDER BY res_type, res_id LIMIT $3{lock}"
    )


async def _reindex_page(conn: Connection, indexer: EntrySource, rows: Sequence[Any]) -> None:
    for row in rows:
        await delete_entries(conn, row["res_type"], row["res_id"])
        entries = indexer.entries(orjson.loads(row["body"]))
        await write_entries(conn, row["res_type"], row["res_id"], entries)


async def reindex(
    db: Database,
    indexer: EntrySource,
    *,
    resource_types: Sequence[str] | None = None,
    page_size: int = DEFAULT_PAGE,
    on_page: Callable[[int], None] | None = None,
) -> int:
    """Re-derive the index rows of every current resource (of ``resource_types``); the count done."""
    sql = _page_sql(db.dialect, resource_types)
    after: tuple[str, str] = ("", "")
    done = 0
    while True:
        async with db.transaction() as conn:
            rows = await conn.fetch(sql, *after, page_size, *(resource_types or ()))
            await _reindex_page(conn, indexer, rows)
        if not rows:
            return done
        done += len(rows)
        after = (rows[-1]["res_type"], rows[-1]["res_id"])
        if on_page is not None:
            on_page(len(rows))
