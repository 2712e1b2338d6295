"""A caller cancelled while its BEGIN runs in aiosqlite's thread must not wedge the writer."""

from __future__ import annotations

from pathlib import Path

from caremesh.kernel.db.sqlite import SQLiteDatabase


async def test_a_transaction_left_open_by_a_cancelled_caller_is_rolled_back(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "wedge.db", "wedge")
    await db.connect()
    try:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE t (id INTEGER)")
        # What a cancellation between the driver running BEGIN and our code seeing it leaves.
        raw = db._writer_or_fail()
        await raw.execute("BEGIN IMMEDIATE")
        await raw.execute("INSERT INTO t VALUES (1)")

        async with db.transaction() as conn:
            await conn.execute("INSERT INTO t VALUES (2)")

        async with db.read() as conn:
            assert [row[0] for row in await conn.fetch("SELECT id FROM t")] == [2]
    finally:
        await db.close()
