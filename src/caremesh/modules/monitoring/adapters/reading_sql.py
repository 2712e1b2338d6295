"""SQL for the time series: batched inserts that report duplicates, and the read queries.

Every value of a reading is one row keyed by (device, kind, metric, measured_at), so a resent
reading conflicts and is not stored twice. PostgreSQL inserts a whole batch as one statement over
arrays (unnest); SQLite inserts multi-row VALUES in chunks. Both return only the rows inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from caremesh.kernel.db.base import Connection

COLUMNS = (
    "device_id, kind, metric, measured_at, reading_id, patient_id, value, received_at, flags, client_ref"
)
# The batch travels as one JSON array of rows: one parameter that PostgreSQL parses in C, instead
# of ten arrays asyncpg would encode element by element in Python.
_PG_INSERT = (
    f"INSERT INTO reading_values ({COLUMNS}) SELECT r.* FROM json_to_recordset($1::json) AS r("
    "device_id text, kind text, metric text, measured_at timestamptz, reading_id text, patient_id text, "
    "value float8, received_at timestamptz, flags text, client_ref text) "
    "ON CONFLICT DO NOTHING RETURNING reading_id"
)
_KEYS = [c.strip() for c in COLUMNS.split(",")]
_SQLITE_CHUNK = 500  # rows per statement: 5,000 parameters, far below SQLite's 32,766 limit

# (device_id, kind, metric, measured_at, reading_id, patient_id, value, received_at, flags, client_ref)
ValueRow = tuple[str, str, str, datetime, str, str, float, datetime, str, str | None]


@dataclass(frozen=True)
class Point:
    metric: str
    value: float
    measured_at: datetime
    reading_id: str
    device_id: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Bucket:
    metric: str
    start: datetime
    minimum: float
    maximum: float
    mean: float
    count: int


async def insert_values(conn: Connection, rows: Sequence[ValueRow]) -> set[str]:
    """Insert ``rows``; return the reading ids of which at least one value was new."""
    if not rows:
        return set()
    if conn.dialect == "postgres":
        document = orjson.dumps([dict(zip(_KEYS, row, strict=True)) for row in rows]).decode()
        return {r[0] for r in await conn.fetch(_PG_INSERT, document)}
    inserted: set[str] = set()
    for start in range(0, len(rows), _SQLITE_CHUNK):
        chunk = rows[start : start + _SQLITE_CHUNK]
        marks = ", ".join(
            "(" + ", ".join(f"${i * 10 + c + 1}" for c in range(10)) + ")" for i in range(len(chunk))
        )
        params: list[Any] = [v for row in chunk for v in row]
        sql = (
            f"INSERT INTO reading_values ({COLUMNS}) VALUES {marks} "
            "ON CONFLICT DO NOTHING RETURNING reading_id"
        )
        inserted.update(r[0] for r in await conn.fetch(sql, *params))
    return inserted


async def previous_values(
    conn: Connection, keys: Sequence[tuple[str, str, datetime]]
) -> dict[tuple[str, str], tuple[float, datetime]]:
    """For each (patient, metric, before): the last value measured before ``before``."""
    if not keys:
        return {}
    if conn.dialect == "postgres":
        rows = await conn.fetch(
            "SELECT k.patient_id, k.metric, v.value, v.measured_at "
            "FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(patient_id, metric, before) "
            "CROSS JOIN LATERAL (SELECT value, measured_at FROM reading_values r "
            "WHERE r.patient_id = k.patient_id AND r.metric = k.metric AND r.measured_at < k.before "
            "ORDER BY r.measured_at DESC LIMIT 1) v",
            *[list(c) for c in zip(*keys, strict=True)],
        )
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}
    found: dict[tuple[str, str], tuple[float, datetime]] = {}
    for patient_id, metric, before in keys:
        row = await conn.fetchrow(
            "SELECT value, measured_at FROM reading_values WHERE patient_id = $1 AND metric = $2 "
            "AND measured_at < $3 ORDER BY measured_at DESC LIMIT 1",
            patient_id,
            metric,
            before,
        )
        if row is not None:
            found[(patient_id, metric)] = (row[0], row[1])
    return found


def _point(row: Any) -> Point:
    flags = tuple(f for f in row["flags"].split(",") if f)
    return Point(row["metric"], row["value"], row["measured_at"], row["reading_id"], row["device_id"], flags)


_POINT_COLUMNS = "metric, value, measured_at, reading_id, device_id, flags"


async def latest(conn: Connection, patient_id: str, metrics: Sequence[str]) -> list[Point]:
    """The most recent value of each metric (an index probe per metric, newest partition first)."""
    points = []
    for metric in metrics:
        row = await conn.fetchrow(
            f"SELECT {_POINT_COLUMNS} FROM reading_values WHERE patient_id = $1 AND metric = $2 "
            "ORDER BY measured_at DESC LIMIT 1",
            patient_id,
            metric,
        )
        if row is not None:
            points.append(_point(row))
    return points


async def value_range(
    conn: Connection, patient_id: str, metric: str | None, start: datetime, end: datetime, limit: int
) -> list[Point]:
    metric_clause = "" if metric is None else " AND metric = $5"
    args: list[Any] = [patient_id, start, end, limit] + ([] if metric is None else [metric])
    rows = await conn.fetch(
        f"SELECT {_POINT_COLUMNS} FROM reading_values WHERE patient_id = $1 "
        f"AND measured_at >= $2 AND measured_at < $3{metric_clause} ORDER BY measured_at, metric LIMIT $4",
        *args,
    )
    return [_point(r) for r in rows]


async def downsampled(
    conn: Connection, patient_id: str, metric: str, start: datetime, end: datetime, bucket_seconds: int
) -> list[Bucket]:
    epoch = (
        "extract(epoch FROM measured_at)"
        if conn.dialect == "postgres"
        else "CAST(strftime('%s', measured_at) AS INTEGER)"
    )
    rows = await conn.fetch(
        f"SELECT CAST(floor({epoch} / $5) * $5 AS BIGINT) AS bucket, min(value), max(value), "
        "avg(value), count(*) FROM reading_values WHERE patient_id = $1 AND metric = $2 "
        "AND measured_at >= $3 AND measured_at < $4 GROUP BY 1 ORDER BY 1",
        patient_id,
        metric,
        start,
        end,
        bucket_seconds,
    )
    return [
        Bucket(metric, datetime.fromtimestamp(int(r[0]), UTC), r[1], r[2], float(r[3]), int(r[4]))
        for r in rows
    ]
