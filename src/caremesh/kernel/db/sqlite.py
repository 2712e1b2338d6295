"""SQLite adapter for the embedded topology: one file per module, WAL, a single writer.

SQLite allows one writer at a time, so transactions queue on an asyncio lock instead of
failing with SQLITE_BUSY; reads use their own connections and never wait for writers (WAL).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import aiosqlite

from caremesh.kernel.db.base import Dialect, Row

_PLACEHOLDER = re.compile(r"\$(\d+)")


def _adapt_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass a timezone-aware value")
    # A fixed width keeps lexicographic order equal to time order in SQL comparisons; isoformat
    # pads the year to four digits, which strftime("%Y") does not do for years before 1000.
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _convert_timestamp(raw: bytes) -> datetime:
    return datetime.fromisoformat(raw.decode())


sqlite3.register_adapter(datetime, _adapt_datetime)
sqlite3.register_converter("TIMESTAMPTZ", _convert_timestamp)


@lru_cache(maxsize=4096)
def to_sqlite(sql: str) -> str:
    return _PLACEHOLDER.sub(r"?\1", sql)


class SQLiteConnection:
    dialect: Dialect = "sqlite"

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self._raw = raw
        self.after_commit: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.after_commit.append(callback)

    def holds_session_state(self) -> None:
        """SQLite connections carry no session state that needs resetting."""

    async def execute(self, sql: str, *args: Any) -> int:
        cursor = await self._raw.execute(to_sqlite(sql), args)
        count = cursor.rowcount
        await cursor.close()
        return max(count, 0)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._raw.executemany(to_sqlite(sql), [tuple(r) for r in rows])

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._raw.execute_fetchall(to_sqlite(sql), args))

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        async with self._raw.execute(to_sqlite(sql), args) as cursor:
            return await cursor.fetchone()

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = await self.fetchrow(sql, *args)
        return None if row is None else row[0]


async def _open(path: Path) -> aiosqlite.Connection:
    raw = await aiosqlite.connect(
        path, detect_types=sqlite3.PARSE_DECLTYPES, isolation_level=None, check_same_thread=False
    )
    raw.row_factory = sqlite3.Row
    await raw.execute("PRAGMA journal_mode=WAL")
    await raw.execute("PRAGMA synchronous=NORMAL")
    await raw.execute("PRAGMA foreign_keys=ON")
    await raw.execute("PRAGMA busy_timeout=10000")
    return raw


class SQLiteDatabase:
    dialect: Dialect = "sqlite"

    def __init__(self, path: Path, module: str, *, readers: int = 3) -> None:
        self.path = path
        self.module = module
        self._reader_count = readers
        self._writer: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._readers: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._all_readers: list[aiosqlite.Connection] = []

    async def connect(self) -> None:
        if self._writer is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _open(self.path)
        for _ in range(self._reader_count):
            reader = await _open(self.path)
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)

    async def close(self) -> None:
        if self._writer is None:
            return
        async with self._write_lock:
            for reader in self._all_readers:
                await reader.close()
            await self._writer.close()
            self._writer = None
            self._all_readers.clear()
            self._readers = asyncio.Queue()

    def _writer_or_fail(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError(f"database of module {self.module} is not connected")
        return self._writer

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SQLiteConnection]:
        async with self._write_lock:
            raw = self._writer_or_fail()
            await _end_abandoned_transaction(raw)
            conn = SQLiteConnection(raw)
            try:
                await raw.execute("BEGIN IMMEDIATE")
                yield conn
            except BaseException:
                if raw.in_transaction:
                    # Shielded: a second cancellation must not leave the transaction open.
                    await asyncio.shield(raw.execute("ROLLBACK"))
                raise
            await raw.execute("COMMIT")
        for callback in conn.after_commit:
            callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SQLiteConnection]:
        self._writer_or_fail()
        raw = await self._readers.get()
        try:
            yield SQLiteConnection(raw)
        finally:
            self._readers.put_nowait(raw)

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.fetchval("SELECT 1")

    async def run_script(self, script: str) -> None:
        async with self._write_lock:
            await self._writer_or_fail().executescript(f"BEGIN IMMEDIATE;\n{script}\nCOMMIT;")


async def _end_abandoned_transaction(raw: aiosqlite.Connection) -> None:
    """Roll back a transaction a cancelled caller left open.

    aiosqlite runs each statement in its own thread: a caller cancelled while awaiting ``BEGIN``
    stops waiting, but the statement still runs, and the connection stays inside a transaction
    that nobody will end ("cannot start a transaction within a transaction" for the next caller).
    """
    if not raw.in_transaction:
        return
    # A shielded ROLLBACK queued before this one may have ended it first.
    with contextlib.suppress(sqlite3.OperationalError):
        await raw.execute("ROLLBACK")
