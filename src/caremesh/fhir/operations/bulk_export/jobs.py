"""Export jobs as rows of ``fhir_export_job``: created by a kick-off, advanced by the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from caremesh.kernel.db.base import Connection

ACCEPTED, RUNNING, COMPLETED, FAILED, CANCELLED = "accepted", "running", "completed", "failed", "cancelled"
ACTIVE = (ACCEPTED, RUNNING)
_COLUMNS = (
    "id, state, request_url, level, group_id, types, since, transaction_time, updated_at, "
    "progress, output, error"
)


@dataclass(frozen=True, slots=True)
class ExportJob:
    id: str
    state: str
    request_url: str
    level: str  # system | patient | group
    group_id: str | None
    types: tuple[str, ...] | None
    since: datetime | None
    transaction_time: datetime
    progress: str = ""
    output: tuple[dict[str, Any], ...] = ()
    error: str | None = None


def _job(row: Any) -> ExportJob:
    return ExportJob(
        id=row["id"],
        state=row["state"],
        request_url=row["request_url"],
        level=row["level"],
        group_id=row["group_id"],
        types=tuple(orjson.loads(row["types"])) if row["types"] else None,
        since=row["since"],
        transaction_time=row["transaction_time"],
        progress=row["progress"],
        output=tuple(orjson.loads(row["output"])) if row["output"] else (),
        error=row["error"],
    )


async def insert(conn: Connection, job: ExportJob) -> None:
    await conn.execute(
        f"INSERT INTO fhir_export_job ({_COLUMNS}) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, '', NULL, NULL)",
        job.id,
        job.state,
        job.request_url,
        job.level,
        job.group_id,
        orjson.dumps(list(job.types)).decode() if job.types else None,
        job.since,
        job.transaction_time,
    )


async def get(conn: Connection, job_id: str) -> ExportJob | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM fhir_export_job WHERE id = $1", job_id)
    return None if row is None else _job(row)


async def count_active(conn: Connection) -> int:
    return int(
        await conn.fetchval("SELECT COUNT(*) FROM fhir_export_job WHERE state IN ('accepted', 'running')")
    )


async def claim(conn: Connection, now: datetime, stale_before: datetime) -> ExportJob | None:
    """Take the oldest job to run: an accepted one, or a running one nobody advanced since
    ``stale_before`` (its process stopped): that one starts over."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM fhir_export_job WHERE state = 'accepted' "
        "OR (state = 'running' AND updated_at < $1) ORDER BY updated_at, id LIMIT 1",
        stale_before,
    )
    if row is None:
        return None
    job = _job(row)
    changed = await conn.execute(
        "UPDATE fhir_export_job SET state = 'running', updated_at = $2, progress = 'started' "
        "WHERE id = $1 AND state = $3 AND updated_at = $4",
        job.id,
        now,
        job.state,
        row["updated_at"],
    )
    return job if changed == 1 else None


async def set_state(
    conn: Connection,
    job_id: str,
    state: str,
    now: datetime,
    *,
    progress: str = "",
    output: list[dict[str, Any]] | None = None,
    error: str | None = None,
    only_if: tuple[str, ...] = ACTIVE,
) -> bool:
    """Move the job to ``state`` unless it left ``only_if`` meanwhile (e.g. was cancelled)."""
    marks = ", ".join(f"'{s}'" for s in only_if)
    changed = await conn.execute(
        "UPDATE fhir_export_job SET state = $2, updated_at = $3, progress = $4, output = $5, error = $6 "
        f"WHERE id = $1 AND state IN ({marks})",
        job_id,
        state,
        now,
        progress,
        orjson.dumps(output).decode() if output is not None else None,
        error,
    )
    return changed == 1


async def set_progress(conn: Connection, job_id: str, progress: str, now: datetime) -> bool:
    """Record progress; False when the job is no longer running (cancelled: stop)."""
    changed = await conn.execute(
        "UPDATE fhir_export_job SET progress = $2, updated_at = $3 WHERE id = $1 AND state = 'running'",
        job_id,
        progress,
        now,
    )
    return changed == 1


async def take_expired(conn: Connection, before: datetime) -> list[str]:
    """Remove finished jobs last changed before ``before``; their ids (their files go too)."""
    rows = await conn.fetch(
        "SELECT id FROM fhir_export_job "
        "WHERE state IN ('completed', 'failed', 'cancelled') AND updated_at < $1",
        before,
    )
    ids = [row["id"] for row in rows]
    await conn.executemany("DELETE FROM fhir_export_job WHERE id = $1", [(job_id,) for job_id in ids])
    return ids
