"""Migration discovery prefers a dialect-specific file over the portable one."""

from __future__ import annotations

from caremesh.kernel.db.migrations import discover


def test_kernel_migrations_exist_for_both_dialects() -> None:
    sqlite = discover("caremesh.kernel.migrations", "sqlite")
    postgres = discover("caremesh.kernel.migrations", "postgres")
    assert [m.version for m in sqlite] == [m.version for m in postgres] == [1, 2]
    assert "AUTOINCREMENT" in sqlite[0].sql and "BIGSERIAL" in postgres[0].sql
    # The audit log refuses UPDATE and DELETE with triggers, written in each dialect's own way.
    assert "RAISE(ABORT" in sqlite[1].sql and "plpgsql" in postgres[1].sql.lower()
