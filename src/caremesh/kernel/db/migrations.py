"""Per-module migration histories of plain SQL files.

A component (the kernel's shared tables, or a module) keeps ``NNNN_name.sql`` files in a
package folder; ``NNNN_name.sqlite.sql`` / ``NNNN_name.postgres.sql`` replace the portable file
for one dialect. Each migration runs in one transaction together with its bookkeeping row, so a
crash never leaves a half-applied version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from caremesh.kernel.db.base import Database

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$")

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (component, version)
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def discover(package: str, dialect: str) -> list[Migration]:
    chosen: dict[int, tuple[bool, Migration]] = {}
    for entry in resources.files(package).iterdir():
        match = _NAME.match(entry.name)
        if not match:
            continue
        version, name, only_for = int(match[1]), match[2], match[3]
        if only_for and only_for != dialect:
            continue
        specific = only_for is not None
        if version in chosen and chosen[version][0] and not specific:
            continue
        chosen[version] = (specific, Migration(version, name, entry.read_text()))
    return [migration for _, (_, migration) in sorted(chosen.items())]


async def applied_versions(db: Database, component: str) -> set[int]:
    async with db.transaction() as conn:
        await conn.execute(_BOOKKEEPING)
    async with db.read() as conn:
        rows = await conn.fetch("SELECT version FROM schema_migrations WHERE component = $1", component)
    return {int(r[0]) for r in rows}


async def migrate(db: Database, component: str, package: str) -> list[Migration]:
    """Apply the pending migrations of ``component``; return those applied now."""
    done = await applied_versions(db, component)
    pending = [m for m in discover(package, db.dialect) if m.version not in done]
    for migration in pending:
        record = (
            "INSERT INTO schema_migrations (component, version, name) "
            f"VALUES ('{component}', {migration.version}, '{migration.name}');"
        )
        await db.run_script(f"{migration.sql.rstrip().rstrip(';')};\n{record}")
    return pending
