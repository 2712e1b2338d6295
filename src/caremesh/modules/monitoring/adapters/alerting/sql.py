"""Set parameters that work on both dialects: a whole list travels as one JSON text parameter.

One statement per batch whatever its size (and one prepared statement on PostgreSQL, where a
variable number of placeholders would prepare a new statement for every batch size).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from caremesh.kernel.db.base import Connection


def json_list(values: Iterable[object]) -> str:
    return orjson.dumps(list(values)).decode()


def text_set(conn: Connection, placeholder: str) -> str:
    """A subquery yielding the strings of the JSON array bound to ``placeholder``."""
    if conn.dialect == "postgres":
        return f"(SELECT jsonb_array_elements_text({placeholder}::jsonb))"
    return f"(SELECT value FROM json_each({placeholder}))"


def pair_set(conn: Connection, placeholder: str) -> str:
    """A subquery yielding the (text, text) pairs of the JSON array of pairs bound to ``placeholder``."""
    if conn.dialect == "postgres":
        return f"(SELECT p->>0, p->>1 FROM jsonb_array_elements({placeholder}::jsonb) AS p)"
    return f"(SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each({placeholder}))"


def skip_locked(conn: Connection) -> str:
    """Row locks for work queues on PostgreSQL (replicas take different rows); SQLite has one writer."""
    return " FOR UPDATE SKIP LOCKED" if conn.dialect == "postgres" else ""


def as_datetime(value: object) -> datetime:
    """Aggregates (MAX of a timestamp) lose SQLite's declared type and come back as ISO text."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


async def insert_rows(
    conn: Connection,
    table: str,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence[Any]],
    suffix: str = "",
) -> None:
    """Insert ``rows`` in one statement on PostgreSQL (``unnest`` of one array per column: a single
    round trip and plan, where ``executemany`` executes once per row) and with ``executemany`` on
    SQLite (in-process, so per-row execution costs no round trip). ``columns`` are (name, PostgreSQL
    type); ``suffix`` is e.g. an ``ON CONFLICT`` clause. Rows must not repeat a conflict key.
    """
    if not rows:
        return
    names = ", ".join(name for name, _ in columns)
    if conn.dialect == "postgres":
        arrays = ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(columns, start=1))
        values = [list(column) for column in zip(*rows, strict=True)]
        await conn.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {suffix}", *values)
        return
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    await conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders}) {suffix}", rows)
