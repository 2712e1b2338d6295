"""Small helpers for building portable SQL with numbered ``$n`` placeholders."""

from __future__ import annotations

import sqlite3
from typing import Any

import asyncpg


class Where:
    """Collects optional conditions and their arguments, numbering placeholders as it goes."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def param(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    def add(self, template: str, *values: Any) -> None:
        """``template`` uses ``{}`` for each value, e.g. ``"a.status = {}"``."""
        self.clauses.append(template.format(*(self.param(v) for v in values)))

    def add_if(self, template: str, value: Any) -> None:
        if value is not None:
            self.add(template, value)

    def after(self, start_column: str, id_column: str, start: Any, id_: str) -> None:
        """Keyset condition: rows strictly after (start, id) in (start, id) order."""
        start_ref, id_ref = self.param(start), self.param(id_)
        self.clauses.append(
            f"({start_column} > {start_ref} OR ({start_column} = {start_ref} AND {id_column} > {id_ref}))"
        )

    def sql(self) -> str:
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def violates_unique(error: BaseException, marker: str) -> bool:
    """Whether ``error`` is a unique-constraint violation mentioning ``marker`` on either dialect."""
    if isinstance(error, asyncpg.UniqueViolationError):
        return marker in (getattr(error, "constraint_name", None) or "") or marker in str(error)
    return isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error) and marker in str(error)
