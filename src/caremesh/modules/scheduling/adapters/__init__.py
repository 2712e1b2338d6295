"""SQL adapters of the scheduling module (portable between SQLite and PostgreSQL)."""
