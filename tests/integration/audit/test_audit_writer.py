"""The audit writer on its own: group commit, checkpoints, failure reporting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from caremesh.bootstrap import KERNEL_MIGRATIONS
from caremesh.kernel.audit.record import SUCCESS, AuditRecord
from caremesh.kernel.audit.signing import default_signer
from caremesh.kernel.audit.verify import verify_chain
from caremesh.kernel.audit.writer import AuditUnavailable, AuditWriter
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url, module="audittest")
    await database.connect()
    await migrate(database, "kernel", KERNEL_MIGRATIONS)
    try:
        yield database
    finally:
        await database.close()


def record(n: int, patient: str = "p-1") -> AuditRecord:
    return AuditRecord(
        interaction="read",
        outcome=SUCCESS,
        subject=f"user-{n}",
        client_id="app",
        source="caremesh/test",
        patients=(patient,),
        resource=f"Observation/o-{n}",
    )


async def test_concurrent_records_are_committed_in_few_transactions(db: Database) -> None:
    writer = AuditWriter(db, checkpoint_every=10)
    await asyncio.gather(*(writer.record(record(n)) for n in range(60)))
    assert writer.batches_committed < 60  # they shared commits
    verdict = await verify_chain(db, default_signer())
    assert verdict.ok and verdict.records == 60 and verdict.checkpoints >= 1


async def test_sequential_records_each_commit_once_and_link(db: Database) -> None:
    writer = AuditWriter(db, checkpoint_every=3)
    for n in range(7):
        await writer.record(record(n))
    assert writer.batches_committed == 7
    verdict = await verify_chain(db, default_signer())
    assert verdict.ok and verdict.records == 7 and verdict.checkpoints == 2


async def test_every_waiter_of_a_failed_batch_is_told(db: Database) -> None:
    writer = AuditWriter(db)
    async with db.transaction() as conn:
        await conn.execute("ALTER TABLE audit_event RENAME TO audit_event_gone")
    results = await asyncio.gather(*(writer.record(record(n)) for n in range(5)), return_exceptions=True)
    assert all(isinstance(result, AuditUnavailable) for result in results)


async def test_two_writers_on_one_database_never_fork_the_chain(db: Database) -> None:
    first, second = AuditWriter(db, checkpoint_every=4), AuditWriter(db, checkpoint_every=4)
    await first.record(record(0))
    await second.record(record(1))  # the first writer's remembered head is stale now
    await first.record(record(2))
    await asyncio.gather(*(w.record(record(n)) for n in range(3, 23) for w in (first, second)))
    verdict = await verify_chain(db, default_signer())
    assert verdict.ok and verdict.records == 43
