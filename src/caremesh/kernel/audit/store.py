"""The audit tables: append a batch to the chain, sign checkpoints, search for the privacy officer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from caremesh.kernel.audit.chain import GENESIS, canonical, link_hash
from caremesh.kernel.audit.record import AuditRecord
from caremesh.kernel.audit.signing import Signer
from caremesh.kernel.clock import utcnow
from caremesh.kernel.db.base import Connection

_SINGLE_WRITER = "SELECT pg_advisory_xact_lock(hashtext('caremesh.audit.' || current_schema()))"
_INSERT_EVENT = (
    "INSERT INTO audit_event (seq, event_id, recorded, interaction, outcome, subject, client_id, "
    "break_glass, body, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)
_INSERT_PATIENT = "INSERT INTO audit_patient (patient_id, seq) VALUES ($1, $2)"
_PG_INSERT = """
WITH events AS (
    INSERT INTO audit_event (seq, event_id, recorded, interaction, outcome, subject, client_id,
                             break_glass, body, prev_hash, hash)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
                         $7::text[], $8::int[], $9::text[], $10::text[], $11::text[])
)
INSERT INTO audit_patient (patient_id, seq) SELECT * FROM unnest($12::text[], $13::bigint[])
"""


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


async def head(conn: Connection) -> Head:
    row = await conn.fetchrow("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    return Head(0, GENESIS) if row is None else Head(int(row[0]), str(row[1]))


@dataclass
class Rows:
    """A batch chained after a head: the rows to insert and the head they lead to."""

    start: Head
    end: Head
    events: list[tuple[object, ...]]
    patients: list[tuple[str, int]]

    def crosses_checkpoint(self, every: int) -> bool:
        return self.end.seq // every > self.start.seq // every


def chained(records: Sequence[AuditRecord], after: Head) -> Rows:
    current = after
    events: list[tuple[object, ...]] = []
    patients: list[tuple[str, int]] = []
    for record in records:
        seq = current.seq + 1
        body = canonical(record.to_fhir())
        prev = current.hash
        current = Head(seq, link_hash(prev, seq, body))
        row = (record.event_id, record.recorded, record.interaction, record.outcome, record.subject)
        events.append((seq, *row, record.client_id, int(record.break_glass), body, prev, current.hash))
        patients += [(patient, seq) for patient in dict.fromkeys(record.patients)]
    return Rows(after, current, events, patients)


async def insert(conn: Connection, rows: Rows) -> None:
    """The rows of a batch: on PostgreSQL one statement (one round trip, atomic on its own)."""
    if conn.dialect == "postgres":
        columns = [list(column) for column in zip(*rows.events, strict=True)]
        patient_columns = [[p for p, _ in rows.patients], [seq for _, seq in rows.patients]]
        await conn.execute(_PG_INSERT, *columns, *patient_columns)
        return
    await conn.executemany(_INSERT_EVENT, rows.events)
    if rows.patients:
        await conn.executemany(_INSERT_PATIENT, rows.patients)


async def append(
    conn: Connection, records: Sequence[AuditRecord], *, signer: Signer | None, checkpoint_every: int
) -> Head:
    """Chain ``records`` after the head read now, inside the caller's transaction; returns the
    new head. On PostgreSQL every writer of the database (other processes too) takes turns on
    an advisory lock, so the head cannot move before the rows are in."""
    if conn.dialect == "postgres":
        await conn.execute(_SINGLE_WRITER)
    rows = chained(records, await head(conn))
    await insert(conn, rows)
    if signer is not None and rows.crosses_checkpoint(checkpoint_every):
        await write_checkpoint(conn, rows.end, signer)
    return rows.end


async def write_checkpoint(conn: Connection, at: Head, signer: Signer) -> None:
    await conn.execute(
        "INSERT INTO audit_checkpoint (seq, head_hash, signed_at, key_id, signature) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING",
        at.seq, at.hash, utcnow(), signer.key_id, signer.sign(at.seq, at.hash),
    )  # fmt: skip


@dataclass(frozen=True)
class AuditQuery:
    patient: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None
    limit: int = 100
    before_seq: int | None = None  # paging: newest first, continue below this seq


async def search(conn: Connection, query: AuditQuery) -> list[tuple[int, dict[str, Any]]]:
    """Matching events, newest first, as (seq, AuditEvent)."""
    where: list[str] = []
    args: list[object] = []

    def bind(condition: str, value: object) -> None:
        args.append(value)
        where.append(condition.replace("?", f"${len(args)}"))

    if query.patient is not None:
        bind("e.seq IN (SELECT seq FROM audit_patient WHERE patient_id = ?)", query.patient)
    if query.subject is not None:
        bind("e.subject = ?", query.subject)
    if query.since is not None:
        bind("e.recorded >= ?", query.since)
    if query.until is not None:
        bind("e.recorded < ?", query.until)
    if query.outcome is not None:
        bind("e.outcome = ?", query.outcome)
    if query.before_seq is not None:
        bind("e.seq < ?", query.before_seq)
    args.append(query.limit)
    sql = (
        "SELECT e.seq, e.body FROM audit_event e"
        + (" WHERE " + " AND ".join(where) if where else "")
        + f" ORDER BY e.seq DESC LIMIT ${len(args)}"
    )
    rows = await conn.fetch(sql, *args)
    return [(int(row[0]), orjson.loads(row[1])) for row in rows]
