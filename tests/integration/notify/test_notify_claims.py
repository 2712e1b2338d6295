"""Claiming due notifications: a lease hides claimed work; on PostgreSQL, SKIP LOCKED lets
concurrent workers take disjoint batches instead of waiting for each other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from caremesh.kernel.clock import utcnow
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.kernel.ids import new_id
from caremesh.modules.notify.adapters.notifications_sql import SqlNotificationStore
from caremesh.modules.notify.domain.notification import MESSAGE, PENDING, NewNotification

STORE = SqlNotificationStore()
LEASE = timedelta(minutes=5)


async def open_notify_db(url: str) -> Database:
    db = open_database(url, "notify")
    await db.connect()
    await migrate(db, "notify", "caremesh.modules.notify.adapters.migrations")
    return db


async def add_pending(db: Database, count: int) -> set[str]:
    now = utcnow()
    ids = {new_id() for _ in range(count)}
    async with db.transaction() as conn:
        for notification_id in ids:
            await STORE.insert(
                conn,
                NewNotification(
                    id=notification_id, patient_id="pat-t-0001", kind=MESSAGE, template="t",
                    category="appointment-updates", channel="email", variables={}, status=PENDING,
                    last_error=None, next_attempt_at=now - timedelta(seconds=1), expires_at=None,
                    appointment_id=None, dedupe_key=None, created_at=now,
                ),
            )  # fmt: skip
    return ids


async def claim(db: Database, limit: int, *, at: timedelta = timedelta(0)) -> set[str]:
    now = utcnow() + at
    async with db.transaction() as conn:
        claimed = await STORE.claim_due(conn, kind=MESSAGE, now=now, lease_until=now + LEASE, limit=limit)
    return {due.id for due in claimed}


@pytest.fixture
async def notify_db(database_url: str) -> AsyncIterator[Database]:
    db = await open_notify_db(database_url)
    try:
        yield db
    finally:
        await db.close()


async def test_claimed_work_stays_hidden_until_its_lease_expires(notify_db: Database) -> None:
    ids = await add_pending(notify_db, 5)
    first = await claim(notify_db, 3)
    second = await claim(notify_db, 10)
    assert len(first) == 3 and first | second == ids and not first & second
    assert await claim(notify_db, 10) == set()
    assert await claim(notify_db, 10, at=LEASE + timedelta(seconds=1)) == ids  # the workers died


async def test_concurrent_workers_skip_each_others_locked_rows(postgres_url: str) -> None:
    db = await open_notify_db(postgres_url)
    try:
        ids = await add_pending(db, 10)
        holding, release = asyncio.Event(), asyncio.Event()

        async def slow_worker() -> set[str]:
            now = utcnow()
            async with db.transaction() as conn:
                claimed = await STORE.claim_due(conn, kind=MESSAGE, now=now, lease_until=now + LEASE, limit=4)
                holding.set()
                await release.wait()  # the claim's row locks are held until commit
            return {due.id for due in claimed}

        slow = asyncio.create_task(slow_worker())
        await holding.wait()
        try:
            fast = await asyncio.wait_for(claim(db, 10), timeout=5)
        finally:
            release.set()
        assert len(fast) == 6 and fast | await slow == ids
    finally:
        await db.close()
