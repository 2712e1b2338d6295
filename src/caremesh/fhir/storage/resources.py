"""Rows of ``fhir_resource`` (the current version) and ``fhir_history`` (every version).

Writers read the current row with a lock (PostgreSQL ``FOR UPDATE``), so writers of one resource
queue rather than race, and never overwrite blindly either: a replacement names the version it
replaces (``UPDATE ... WHERE version = $expected``) and a first version inserts with
``ON CONFLICT DO NOTHING``. Two writers creating the same new id cannot both win; the loser sees
zero rows changed and retries (then finds the row and queues on its lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caremesh.kernel.db.base import Connection

COLUMNS = "res_type, res_id, version, last_updated, deleted, body"


@dataclass(frozen=True, slots=True)
class StoredVersion:
    resource_type: str
    resource_id: str
    version: int
    last_updated: datetime
    deleted: bool
    body: bytes | None  # None for a deletion
    method: str = ""  # the HTTP method that made this version (history rows only)

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


def stored_row(row: Any, method: str = "") -> StoredVersion:
    """A ``fhir_resource`` / ``fhir_history`` row (selected with its column names) as a version."""
    body = row["body"]
    return StoredVersion(
        resource_type=row["res_type"],
        resource_id=row["res_id"],
        version=int(row["version"]),
        last_updated=row["last_updated"],
        deleted=bool(row["deleted"]),
        body=bytes(body) if body is not None else None,
        method=method,
    )


async def current(
    conn: Connection, res_type: str, res_id: str, *, lock: bool = False
) -> StoredVersion | None:
    """The current version; ``lock``: hold the row until commit, so writers of one resource queue
    instead of racing (PostgreSQL; SQLite has a single writer already)."""
    locking = " FOR UPDATE" if lock and conn.dialect == "postgres" else ""
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM fhir_resource WHERE res_type = $1 AND res_id = $2{locking}", res_type, res_id
    )
    return None if row is None else stored_row(row)


async def version(conn: Connection, res_type: str, res_id: str, number: int) -> StoredVersion | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS}, method FROM fhir_history WHERE res_type = $1 AND res_id = $2 AND version = $3",
        res_type,
        res_id,
        number,
    )
    return None if row is None else stored_row(row, row["method"])


async def insert_first(conn: Connection, new: StoredVersion) -> bool:
    """Insert the first version; False when another writer created the resource meanwhile."""
    changed = await conn.execute(
        f"INSERT INTO fhir_resource ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (res_type, res_id) DO NOTHING",
        *_values(new),
    )
    return changed == 1


async def replace(conn: Connection, new: StoredVersion, *, expected_version: int) -> bool:
    """Make ``new`` current if ``expected_version`` still is; False when another writer won."""
    changed = await conn.execute(
        "UPDATE fhir_resource SET version = $3, last_updated = $4, deleted = $5, body = $6 "
        "WHERE res_type = $1 AND res_id = $2 AND version = $7",
        *_values(new),
        expected_version,
    )
    return changed == 1


async def append_history(conn: Connection, new: StoredVersion) -> None:
    await conn.execute(
        f"INSERT INTO fhir_history ({COLUMNS}, method) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        *_values(new),
        new.method,
    )


def _values(new: StoredVersion) -> tuple[Any, ...]:
    return (
        new.resource_type,
        new.resource_id,
        new.version,
        new.last_updated,
        int(new.deleted),
        new.body,
    )
