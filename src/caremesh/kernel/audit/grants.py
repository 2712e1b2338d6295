"""Break-the-glass grants: emergency access beyond normal policy, stated, stored, time-limited.

A clinician asks by sending a reason (``X-Caremesh-Break-Glass: <reason>``); the grant lasts
``GRANT_TTL`` and every access it enables is flagged in the audit with the grant's reason. Grants
are rows of an append-only table, so they are part of the evidence too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from caremesh.kernel.clock import utcnow
from caremesh.kernel.db.base import Database
from caremesh.kernel.ids import new_id

GRANT_TTL = timedelta(minutes=60)
MAX_REASON = 500


@dataclass(frozen=True)
class AccessGrant:
    id: str
    subject: str
    reason: str
    expires_at: datetime


async def active_grant(db: Database, subject: str) -> AccessGrant | None:
    async with db.read() as conn:
        row = await conn.fetchrow(
            "SELECT id, subject, reason, expires_at FROM audit_access_grant "
            "WHERE subject = $1 AND expires_at > $2 ORDER BY expires_at DESC LIMIT 1",
            subject, utcnow(),
        )  # fmt: skip
    return None if row is None else AccessGrant(row[0], row[1], row[2], row[3])


async def open_grant(db: Database, subject: str, reason: str, ttl: timedelta = GRANT_TTL) -> AccessGrant:
    """The subject's active grant, or a new one for ``reason`` (non-empty, already checked)."""
    existing = await active_grant(db, subject)
    if existing is not None:
        return existing
    now = utcnow()
    grant = AccessGrant(new_id(), subject, reason.strip()[:MAX_REASON], now + ttl)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO audit_access_grant (id, subject, reason, granted_at, expires_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            grant.id, grant.subject, grant.reason, now, grant.expires_at,
        )  # fmt: skip
    return grant


async def record_owner(db: Database, job_id: str, subject: str, client_id: str) -> None:
    """Bind an asynchronous job (a Bulk Data export) to the caller who started it."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO audit_export_owner (job_id, subject, client_id, created_at) VALUES ($1, $2, $3, $4)",
            job_id, subject, client_id, utcnow(),
        )  # fmt: skip


async def is_owner(db: Database, job_id: str, subject: str, client_id: str) -> bool:
    async with db.read() as conn:
        row = await conn.fetchrow(
            "SELECT subject, client_id FROM audit_export_owner WHERE job_id = $1", job_id
        )
    return row is not None and (row[0], row[1]) == (subject, client_id)
