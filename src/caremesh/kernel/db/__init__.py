"""Database port: one interface over SQLite (embedded) and PostgreSQL (distributed).

SQL is written once with PostgreSQL's ``$1`` placeholders; the SQLite adapter rewrites them to
``?1``. Timestamps are timezone-aware ``datetime`` values on both sides (columns typed
``TIMESTAMPTZ``); JSON travels as text. Where the dialects really differ, code branches on
``db.dialect``.
"""

from caremesh.kernel.db.base import Connection, Database, Row
from caremesh.kernel.db.factory import open_database

__all__ = ["Connection", "Database", "Row", "open_database"]
