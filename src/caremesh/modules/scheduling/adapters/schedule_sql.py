"""Schedules in SQL."""

from __future__ import annotations

from datetime import datetime

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.scheduling.adapters.sql import Where
from caremesh.modules.scheduling.application.ports import ScheduleQuery
from caremesh.modules.scheduling.domain.schedule import Schedule

_COLUMNS = "id, practitioner_id, service_type, timezone, location, active, created_at"


def schedule_from_row(row: Row) -> Schedule:
    return Schedule(
        id=row["id"],
        practitioner_id=row["practitioner_id"],
        service_type=row["service_type"],
        timezone=row["timezone"],
        location=row["location"],
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


class ScheduleSql:
    async def add_schedule(self, conn: Connection, schedule: Schedule) -> None:
        await conn.execute(
            f"INSERT INTO schedules ({_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            schedule.id,
            schedule.practitioner_id,
            schedule.service_type,
            schedule.timezone,
            schedule.location,
            int(schedule.active),
            schedule.created_at,
        )

    async def schedule(self, conn: Connection, schedule_id: str) -> Schedule | None:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM schedules WHERE id = $1", schedule_id)
        return None if row is None else schedule_from_row(row)

    async def schedules(self, conn: Connection, query: ScheduleQuery) -> list[Schedule]:
        where = Where()
        where.add_if("practitioner_id = {}", query.practitioner_id)
        where.add_if("active = {}", None if query.active is None else int(query.active))
        where.add_if("id > {}", query.after_id)
        limit = where.param(query.limit)
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM schedules {where.sql()} ORDER BY id LIMIT {limit}", *where.args
        )
        return [schedule_from_row(row) for row in rows]

    async def lock_schedule(self, conn: Connection, schedule_id: str, now: datetime) -> bool:
        # A write is the portable row lock: PostgreSQL holds it to commit, SQLite has one writer anyway.
        changed = await conn.execute("UPDATE schedules SET updated_at = $2 WHERE id = $1", schedule_id, now)
        return changed == 1

    async def set_schedule_active(
        self, conn: Connection, schedule_id: str, active: bool, now: datetime
    ) -> None:
        await conn.execute(
            "UPDATE schedules SET active = $2, updated_at = $3 WHERE id = $1", schedule_id, int(active), now
        )
