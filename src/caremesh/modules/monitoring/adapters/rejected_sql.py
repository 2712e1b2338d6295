"""SQL for the dead-letter store of rejected readings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caremesh.kernel.db.base import Connection, Row

OPEN, REPLAYED, DISCARDED = "open", "replayed", "discarded"
_COLUMNS = (
    "id, batch_id, received_at, device_id, format, reason, message, payload, status, attempts, "
    "resolved_at, resolved_by, reading_id"
)


@dataclass(frozen=True)
class RejectedRow:
    id: str
    batch_id: str
    received_at: datetime
    device_id: str | None
    format: str
    reason: str
    message: str
    payload: str  # a single-reading document in ``format`` (JSON text)
    status: str = OPEN
    attempts: int = 1
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    reading_id: str | None = None


def _rejected(row: Row) -> RejectedRow:
    return RejectedRow(*(row[i] for i in range(13)))


async def insert_rejected(conn: Connection, rows: Sequence[RejectedRow]) -> None:
    if not rows:
        return
    await conn.executemany(
        f"INSERT INTO rejected_readings ({_COLUMNS}) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        [
            (r.id, r.batch_id, r.received_at, r.device_id, r.format, r.reason, r.message, r.payload,
             r.status, r.attempts, r.resolved_at, r.resolved_by, r.reading_id)
            for r in rows
        ],
    )  # fmt: skip


async def rejected_by_id(conn: Connection, rejected_id: str, *, lock: bool = False) -> RejectedRow | None:
    suffix = " FOR UPDATE" if lock and conn.dialect == "postgres" else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM rejected_readings WHERE id = $1{suffix}", rejected_id)
    return None if row is None else _rejected(row)


async def list_rejected(
    conn: Connection,
    *,
    status: str | None,
    device_id: str | None,
    reason: str | None,
    before: tuple[datetime, str] | None,
    limit: int,
) -> list[RejectedRow]:
    clauses, args = ["1 = 1"], list[Any]()
    for column, value in (("status", status), ("device_id", device_id), ("reason", reason)):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if before is not None:
        args.extend(before)
        clauses.append(
            f"(received_at < ${len(args) - 1} OR (received_at = ${len(args) - 1} AND id < ${len(args)}))"
        )
    args.append(limit)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM rejected_readings WHERE {' AND '.join(clauses)} "
        f"ORDER BY received_at DESC, id DESC LIMIT ${len(args)}",
        *args,
    )
    return [_rejected(r) for r in rows]


async def mark_replayed(
    conn: Connection, rejected_id: str, *, now: datetime, by: str, reading_id: str | None, payload: str
) -> None:
    await conn.execute(
        "UPDATE rejected_readings SET status = $2, resolved_at = $3, resolved_by = $4, reading_id = $5, "
        "payload = $6, attempts = attempts + 1 WHERE id = $1",
        rejected_id, REPLAYED, now, by, reading_id, payload,
    )  # fmt: skip


async def mark_failed_again(
    conn: Connection, rejected_id: str, *, reason: str, message: str, payload: str
) -> None:
    await conn.execute(
        "UPDATE rejected_readings SET reason = $2, message = $3, payload = $4, attempts = attempts + 1 "
        "WHERE id = $1",
        rejected_id, reason, message, payload,
    )  # fmt: skip


async def count_by_reason(conn: Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT reason, COUNT(*) FROM rejected_readings GROUP BY reason")
    return {r[0]: int(r[1]) for r in rows}
