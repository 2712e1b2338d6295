"""Save one new version of a resource: current row, history row and index rows together.

On PostgreSQL this is ONE statement (data-modifying CTEs): the current row is inserted or
replaced only if the expected version still holds, the history row is inserted only if that
succeeded (``SELECT ... FROM cur``), and the old index rows are deleted while the new ones are
inserted (the DELETE sees the statement's starting snapshot, never the new rows). If the
resource changed meanwhile the statement reports 0 and the caller rolls the transaction back, so
index rows written by a losing statement never commit. SQLite runs in-process and has one writer:
the same steps as separate statements.
"""

from __future__ import annotations

from collections.abc import Sequence

from caremesh.fhir.indexing.entries import IndexEntry
from caremesh.fhir.storage import index_rows, resources
from caremesh.fhir.storage.resources import COLUMNS, StoredVersion
from caremesh.kernel.db.base import Connection

# $1 res_type, $2 res_id, $3 version, $4 last_updated, $5 deleted, $6 body, $7 method, $8 expected
_FIRST = (
    f"cur AS (INSERT INTO fhir_resource ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) "
    "ON CONFLICT (res_type, res_id) DO NOTHING RETURNING 1)"
)
_REPLACE = (
    "cur AS (UPDATE fhir_resource SET version = $3, last_updated = $4, deleted = $5, body = $6 "
    "WHERE res_type = $1 AND res_id = $2 AND version = $8 RETURNING 1)"
)
_HISTORY = (
    f"hist AS (INSERT INTO fhir_history ({COLUMNS}, method) "
    "SELECT $1, $2, $3::integer, $4::timestamptz, $5::integer, $6::bytea, $7::text FROM cur)"
)


def _statement(resource_cte: str, first_array: int, *, replace_index: bool) -> str:
    ctes = [resource_cte, _HISTORY]
    if replace_index:
        ctes += index_rows.postgres_delete_ctes()
    ctes += index_rows.postgres_insert_ctes(first_array)
    return "WITH " + ",\n".join(ctes) + "\nSELECT COUNT(*) FROM cur"


_POSTGRES = {
    (False, False): _statement(_FIRST, 8, replace_index=False),
    (True, False): _statement(_REPLACE, 9, replace_index=False),
    (True, True): _statement(_REPLACE, 9, replace_index=True),
}


async def save_version(
    conn: Connection,
    new: StoredVersion,
    entries: Sequence[IndexEntry],
    *,
    replaces: StoredVersion | None,
) -> bool:
    """Make ``new`` current in place of ``replaces`` (None: a first version); False if another
    writer changed the resource since ``replaces`` was read (the caller must roll back)."""
    had_index = replaces is not None and not replaces.deleted
    if conn.dialect == "postgres":
        return await _save_postgres(conn, new, entries, replaces, had_index)
    if replaces is None:
        won = await resources.insert_first(conn, new)
    else:
        won = await resources.replace(conn, new, expected_version=replaces.version)
    if not won:
        return False
    await resources.append_history(conn, new)
    if had_index:
        await index_rows.delete_entries(conn, new.resource_type, new.resource_id)
    await index_rows.write_entries(conn, new.resource_type, new.resource_id, entries)
    return True


async def _save_postgres(
    conn: Connection,
    new: StoredVersion,
    entries: Sequence[IndexEntry],
    replaces: StoredVersion | None,
    had_index: bool,
) -> bool:
    values = [new.resource_type, new.resource_id, new.version, new.last_updated, int(new.deleted), new.body]
    values.append(new.method)
    if replaces is not None:
        values.append(replaces.version)
    sql = _POSTGRES[(replaces is not None, had_index)]
    return int(await conn.fetchval(sql, *values, *index_rows.postgres_arrays(entries))) == 1
