"""Open a module's database from a URL: ``sqlite:///DIR`` (a file per module) or ``postgresql://``."""

from __future__ import annotations

from pathlib import Path

from caremesh.kernel.db.base import Database
from caremesh.kernel.db.postgres import PostgresDatabase
from caremesh.kernel.db.sqlite import SQLiteDatabase


def open_database(url: str, module: str, *, pool_size: int = 10) -> Database:
    if url.startswith("sqlite:///"):
        directory = Path(url.removeprefix("sqlite:///"))
        return SQLiteDatabase(directory / f"{module}.db", module)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(url, module, max_size=pool_size)
    raise ValueError(f"unsupported database URL scheme in {url.split(':', 1)[0]!r}")
