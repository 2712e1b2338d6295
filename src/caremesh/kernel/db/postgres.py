"""PostgreSQL adapter for distributed topologies: a schema per module, an asyncpg pool each."""

from __future__ import annotations

import re
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from caremesh.kernel.db.base import Dialect, Row
from caremesh.kernel.errors import InvalidRequest

_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _rowcount(status: str) -> int:
    # asyncpg returns the command tag, e.g. "UPDATE 3" or "INSERT 0 1".
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


@contextmanager
def _client_errors() -> Iterator[None]:
    """PostgreSQL refuses text SQLite accepts (a NUL character): that is the client's input, a 400."""
    try:
        yield
    except (asyncpg.CharacterNotInRepertoireError, asyncpg.UntranslatableCharacterError) as exc:
        raise InvalidRequest("text values must not contain NUL (U+0000) characters") from exc


class _SessionReset:
    """Resets a pooled connection only when its session was marked as holding state.

    asyncpg's default resets every released connection with a query (``RESET ALL``, unlock
    advisory locks, ...): a round trip per request, a large share of a read by id. caremesh's
    code marks the few places that change session state, and only those sessions pay the reset.
    """

    def __init__(self) -> None:
        self._marked: weakref.WeakSet[asyncpg.Connection] = weakref.WeakSet()

    def mark(self, raw: asyncpg.Connection | PoolConnectionProxy) -> None:
        underlying = getattr(raw, "_con", raw)  # a pool proxy wraps the real connection
        if isinstance(underlying, asyncpg.Connection):
            self._marked.add(underlying)

    async def __call__(self, connection: asyncpg.Connection) -> None:
        if connection in self._marked:
            self._marked.discard(connection)
            await connection.reset()


class PostgresConnection:
    dialect: Dialect = "postgres"

    def __init__(
        self, raw: asyncpg.Connection | PoolConnectionProxy, session_reset: _SessionReset | None = None
    ) -> None:
        self._raw = raw
        self._session_reset = session_reset
        self.after_commit: list[Callable[[], None]] = []

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.after_commit.append(callback)

    def holds_session_state(self) -> None:
        if self._session_reset is not None:
            self._session_reset.mark(self._raw)

    async def execute(self, sql: str, *args: Any) -> int:
        with _client_errors():
            return _rowcount(await self._raw.execute(sql, *args))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with _client_errors():
            await self._raw.executemany(sql, list(rows))

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        with _client_errors():
            return list(await self._raw.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        with _client_errors():
            return await self._raw.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        with _client_errors():
            return await self._raw.fetchval(sql, *args)

    @property
    def raw(self) -> asyncpg.Connection | PoolConnectionProxy:
        """The driver connection, for hot paths that need COPY or prepared statements."""
        return self._raw


async def ensure_database(dsn: str) -> None:
    """Create the database named in ``dsn`` if it does not exist (trust or password auth)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    name = parts.path.lstrip("/")
    if not _SAFE_NAME.match(name):
        raise ValueError(f"unsupported database name {name!r}")
    try:
        conn = await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:
            pass
        finally:
            await admin.close()
    else:
        await conn.close()


class PostgresDatabase:
    dialect: Dialect = "postgres"

    def __init__(self, dsn: str, module: str, *, min_size: int = 1, max_size: int = 10) -> None:
        if not _SAFE_NAME.match(module):
            raise ValueError(f"unsupported module name {module!r}")
        self.dsn = dsn
        self.module = module
        self.schema = module
        self._min = min_size
        self._max = max_size
        self._pool: asyncpg.Pool | None = None
        self._session_reset = _SessionReset()

    async def connect(self) -> None:
        if self._pool is not None:
            return
        await ensure_database(self.dsn)
        bootstrap = await asyncpg.connect(self.dsn)
        try:
            await bootstrap.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        except asyncpg.UniqueViolationError:
            pass  # two processes created it at the same moment
        finally:
            await bootstrap.close()
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=self._min,
            max_size=self._max,
            server_settings={"search_path": self.schema, "application_name": f"caremesh-{self.module}"},
            reset=self._session_reset,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _pool_or_fail(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"database of module {self.module} is not connected")
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresConnection]:
        async with self._pool_or_fail().acquire() as raw, raw.transaction():
            conn = PostgresConnection(raw, self._session_reset)
            yield conn
        for callback in conn.after_commit:
            callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[PostgresConnection]:
        async with self._pool_or_fail().acquire() as raw:
            yield PostgresConnection(raw, self._session_reset)

    async def ping(self) -> None:
        async with self.read() as conn:
            await conn.fetchval("SELECT 1")

    async def run_script(self, script: str) -> None:
        async with self._pool_or_fail().acquire() as raw, raw.transaction():
            await raw.execute(script)
