"""First versions of many new resources saved at once: the hot path of a transaction import.

The server just minted every id, so nothing is read, locked or replaced: one statement per table
for the whole batch (``INSERT ... SELECT FROM unnest(arrays)`` on PostgreSQL, ``executemany`` on
SQLite) instead of a round trip per resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from caremesh.fhir.indexing.entries import IndexEntry
from caremesh.fhir.storage import index_rows
from caremesh.fhir.storage.resources import COLUMNS, StoredVersion
from caremesh.kernel.db.base import Connection

_RESOURCE_TYPES = ("text", "text", "integer", "timestamptz", "integer", "bytea")
_HISTORY_COLUMNS = f"{COLUMNS}, method"


def _version_row(new: StoredVersion) -> tuple[Any, ...]:
    return (new.resource_type, new.resource_id, new.version, new.last_updated, int(new.deleted), new.body)


async def _insert(
    conn: Connection, table: str, columns: str, types: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    if conn.dialect == "postgres":
        arrays = ", ".join(f"${i + 1}::{kind}[]" for i, kind in enumerate(types))
        await conn.execute(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})",
            *([row[i] for row in rows] for i in range(len(types))),
        )
        return
    marks = ", ".join(f"${i + 1}" for i in range(len(types)))
    await conn.executemany(
        f"INSERT INTO {table} ({columns}) VALUES ({marks})",
        [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in rows],
    )


async def insert_new(conn: Connection, created: Sequence[tuple[StoredVersion, Sequence[IndexEntry]]]) -> None:
    """Insert the first version, its history row and its index rows of every resource in ``created``."""
    versions = [_version_row(new) for new, _ in created]
    await _insert(conn, "fhir_resource", COLUMNS, _RESOURCE_TYPES, versions)
    history = [(*row, new.method) for row, (new, _) in zip(versions, created, strict=True)]
    await _insert(conn, "fhir_history", _HISTORY_COLUMNS, (*_RESOURCE_TYPES, "text"), history)
    tables: dict[str, tuple[tuple[str, ...], tuple[str, ...], list[tuple[Any, ...]]]] = {}
    for new, entries in created:
        key = (new.resource_type, new.resource_id)
        for table, columns, types, rows in index_rows.table_rows(entries):
            bucket = tables.setdefault(table, (columns, types, []))[2]
            bucket.extend((*key, *row) for row in rows)
    for table, (columns, types, rows) in tables.items():
        names = "res_type, res_id, " + ", ".join(columns)
        await _insert(conn, table, names, ("text", "text", *types), rows)
