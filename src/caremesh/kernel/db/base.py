"""The database port every module's adapters use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal, Protocol

Row = Any  # asyncpg.Record or sqlite3.Row: both index by name and position
Dialect = Literal["sqlite", "postgres"]


class Connection(Protocol):
    dialect: Dialect

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; return the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    async def fetch(self, sql: str, *args: Any) -> list[Row]: ...

    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...

    async def fetchval(self, sql: str, *args: Any) -> Any: ...

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the surrounding transaction has committed (never on rollback)."""
        ...

    def holds_session_state(self) -> None:
        """Say that this session now carries state (a setting, an advisory lock) that must not
        leak to the next user of a pooled connection; it is reset when the connection returns."""
        ...


class Database(Protocol):
    """One module's database: a SQLite file, or a PostgreSQL schema."""

    dialect: Dialect
    module: str

    def transaction(self) -> AbstractAsyncContextManager[Connection]:
        """A read-write transaction; commits on success, rolls back on any exception."""
        ...

    def read(self) -> AbstractAsyncContextManager[Connection]:
        """A connection for reads outside an explicit transaction."""
        ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        ...

    async def run_script(self, script: str) -> None:
        """Run several statements (a migration) in one transaction."""
        ...


async def iterate_rows(conn: Connection, sql: str, *args: Any) -> AsyncIterator[Row]:
    for row in await conn.fetch(sql, *args):
        yield row
