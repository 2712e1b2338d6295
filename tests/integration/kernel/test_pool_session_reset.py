"""Pooled PostgreSQL connections are reset only when their session was marked as holding state."""

from __future__ import annotations

import pytest

from caremesh.kernel.db.postgres import PostgresDatabase

pytestmark = pytest.mark.postgres


async def _work_mem(db: PostgresDatabase) -> str:
    async with db.read() as conn:
        return str(await conn.fetchval("SHOW work_mem"))


async def test_a_marked_session_is_reset_when_it_returns_to_the_pool(postgres_url: str) -> None:
    db = PostgresDatabase(postgres_url, "pooltest", min_size=1, max_size=1)
    await db.connect()
    try:
        default = await _work_mem(db)
        async with db.read() as conn:
            conn.holds_session_state()
            await conn.execute("SET work_mem = '77kB'")
            await conn.fetchval("SELECT pg_advisory_lock(4242)")
        assert await _work_mem(db) == default
        async with db.read() as conn:
            locks = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        assert locks == 0
    finally:
        await db.close()


async def test_an_unmarked_session_costs_no_reset_round_trip(postgres_url: str) -> None:
    # The pool skips the reset query: state an unmarked session set is still there afterwards.
    # (This is why code that changes session state must call holds_session_state().)
    db = PostgresDatabase(postgres_url, "pooltest", min_size=1, max_size=1)
    await db.connect()
    try:
        async with db.read() as conn:
            await conn.execute("SET work_mem = '77kB'")
        assert await _work_mem(db) == "77kB"
    finally:
        await db.close()


async def test_a_failed_transaction_is_rolled_back_before_reuse(postgres_url: str) -> None:
    db = PostgresDatabase(postgres_url, "pooltest", min_size=1, max_size=1)
    await db.connect()
    try:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE t (id int)")
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO t VALUES (1)")
                raise RuntimeError("abort")
        async with db.read() as conn:
            assert await conn.fetchval("SELECT count(*) FROM t") == 0
            assert await conn.fetchval("SELECT txid_current_if_assigned()") is None
    finally:
        await db.close()
