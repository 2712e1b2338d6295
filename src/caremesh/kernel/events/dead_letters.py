"""The dead-letter store: listing the events a consumer gave up on, and re-driving one after a fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.clock import utcnow
from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import NotFound
from caremesh.kernel.events.consumer import Subscription, deliver
from caremesh.kernel.events.envelope import Envelope


@dataclass(frozen=True)
class DeadLetter:
    id: str
    module: str
    consumer: str
    event_id: str
    event_type: str
    reason: str
    attempts: int
    failed_at: datetime
    replayed_at: datetime | None


_COLUMNS = "id, consumer, event_id, event_type, reason, attempts, failed_at, replayed_at"


async def list_dead_letters(db: Database, *, include_replayed: bool = False) -> list[DeadLetter]:
    where = "" if include_replayed else "WHERE replayed_at IS NULL"
    async with db.read() as conn:
        rows = await conn.fetch(f"SELECT {_COLUMNS} FROM dead_letters {where} ORDER BY failed_at")
    return [DeadLetter(r[0], db.module, r[1], r[2], r[3], r[4], int(r[5]), r[6], r[7]) for r in rows]


async def find_dead_letter(db: Database, dead_letter_id: str) -> DeadLetter | None:
    async with db.read() as conn:
        r = await conn.fetchrow(f"SELECT {_COLUMNS} FROM dead_letters WHERE id = $1", dead_letter_id)
    return None if r is None else DeadLetter(r[0], db.module, r[1], r[2], r[3], r[4], int(r[5]), r[6], r[7])


async def _processed(db: Database, consumer: str, event_id: str) -> bool:
    async with db.read() as conn:
        found = await conn.fetchval(
            "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2", consumer, event_id
        )
    return int(found) > 0


async def replay(db: Database, subscription: Subscription, dead_letter_id: str) -> bool:
    """Re-drive one dead letter through its consumer; True if it is now processed.

    The consumer's inbox still guards against doubles, and a second failure updates the stored
    reason, so replaying is always safe to repeat.
    """
    async with db.read() as conn:
        row = await conn.fetchrow(
            "SELECT consumer, body FROM dead_letters WHERE id = $1", dead_letter_id
        )
    if row is None:
        raise NotFound(f"no dead letter {dead_letter_id} in module {db.module}")
    if row[0] != subscription.consumer:
        raise ValueError(f"dead letter {dead_letter_id} belongs to consumer {row[0]}")
    envelope = Envelope.from_bytes(row[1])
    await deliver(subscription, [envelope])
    if not await _processed(db, subscription.consumer, envelope.id):
        return False
    async with db.transaction() as conn:
        await conn.execute("UPDATE dead_letters SET replayed_at = $2 WHERE id = $1", dead_letter_id, utcnow())
    return True
