"""SQL for message templates, and seeding them from the defaults shipped in the package."""

from __future__ import annotations

from datetime import datetime

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.notify.domain.templates import DEFAULT, MessageTemplate

_COLUMNS = "template_key, channel, category, version, subject, body, source"


def _template(row: Row) -> MessageTemplate:
    return MessageTemplate(
        key=row["template_key"],
        channel=row["channel"],
        category=row["category"],
        version=int(row["version"]),
        subject=row["subject"],
        body=row["body"],
        source=row["source"],
    )


class SqlTemplateStore:
    async def get(self, conn: Connection, key: str, channel: str) -> MessageTemplate | None:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM templates WHERE template_key = $1 AND channel = $2", key, channel
        )
        return None if row is None else _template(row)

    async def for_key(self, conn: Connection, key: str) -> dict[str, MessageTemplate]:
        rows = await conn.fetch(f"SELECT {_COLUMNS} FROM templates WHERE template_key = $1", key)
        return {row["channel"]: _template(row) for row in rows}

    async def seed(self, conn: Connection, templates: list[MessageTemplate], *, now: datetime) -> int:
        changed = 0
        for t in templates:
            # Only shipped defaults of an older version are upgraded; operators' edits stay.
            changed += await conn.execute(
                f"INSERT INTO templates ({_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT (template_key, channel) DO UPDATE SET category = excluded.category, "
                "version = excluded.version, subject = excluded.subject, body = excluded.body, "
                "updated_at = excluded.updated_at "
                "WHERE templates.source = $7 AND templates.version < excluded.version",
                t.key, t.channel, t.category, t.version, t.subject, t.body, DEFAULT, now,
            )  # fmt: skip
        return changed
