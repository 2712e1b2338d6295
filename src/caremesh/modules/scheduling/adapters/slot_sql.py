"""Slots in SQL, including the conditional UPDATE that makes double booking impossible."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from caremesh.kernel.db.base import Connection, Row
from caremesh.kernel.ids import new_id
from caremesh.modules.scheduling.adapters.sql import Where
from caremesh.modules.scheduling.application.ports import SlotQuery
from caremesh.modules.scheduling.domain.slot import Interval, Slot, SlotStatus

_COLUMNS = "id, schedule_id, start_at, end_at, status"


def slot_from_row(row: Row) -> Slot:
    return Slot(
        id=row["id"],
        schedule_id=row["schedule_id"],
        start=row["start_at"],
        end=row["end_at"],
        status=SlotStatus(row["status"]),
    )


class SlotSql:
    async def slot_intervals(self, conn: Connection, schedule_id: str, span: Interval) -> list[Interval]:
        rows = await conn.fetch(
            "SELECT start_at, end_at FROM slots WHERE schedule_id = $1 AND start_at < $3 AND end_at > $2",
            schedule_id,
            span.start,
            span.end,
        )
        return [Interval(row["start_at"], row["end_at"]) for row in rows]

    async def add_slots(
        self, conn: Connection, schedule_id: str, intervals: Sequence[Interval], now: datetime
    ) -> None:
        await conn.executemany(
            f"INSERT INTO slots ({_COLUMNS}, created_at, updated_at) VALUES ($1, $2, $3, $4, 'free', $5, $5) "
            "ON CONFLICT (schedule_id, start_at) DO NOTHING",
            [(new_id(), schedule_id, i.start, i.end, now) for i in intervals],
        )

    async def slot(self, conn: Connection, slot_id: str) -> Slot | None:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM slots WHERE id = $1", slot_id)
        return None if row is None else slot_from_row(row)

    async def slots(self, conn: Connection, query: SlotQuery) -> list[Slot]:
        where = Where()
        where.add_if("schedule_id = {}", query.schedule_id)
        where.add_if("start_at >= {}", query.starts_from)
        where.add_if("start_at < {}", query.starts_before)
        where.add_if("status = {}", None if query.status is None else query.status.value)
        if query.after is not None:
            where.after("start_at", "id", query.after.start, query.after.id)
        limit = where.param(query.limit)
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM slots {where.sql()} ORDER BY start_at, id LIMIT {limit}", *where.args
        )
        return [slot_from_row(row) for row in rows]

    async def claim_slot(self, conn: Connection, slot_id: str, now: datetime) -> bool:
        # The status test and the change are one statement: of concurrent bookers, PostgreSQL lets
        # the first change the row and re-checks the others against the committed 'busy' status.
        changed = await conn.execute(
            "UPDATE slots SET status = 'busy', updated_at = $2 "
            "WHERE id = $1 AND status = 'free' AND start_at > $2 "
            "AND EXISTS (SELECT 1 FROM schedules "
            "WHERE schedules.id = slots.schedule_id AND schedules.active = 1)",
            slot_id,
            now,
        )
        return changed == 1

    async def change_slot_status(
        self, conn: Connection, slot_id: str, current: SlotStatus, target: SlotStatus, now: datetime
    ) -> bool:
        changed = await conn.execute(
            "UPDATE slots SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2",
            slot_id,
            current.value,
            target.value,
            now,
        )
        return changed == 1
