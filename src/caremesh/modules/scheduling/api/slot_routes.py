"""/v1/slots: search slots by schedule, time and status; block and unblock single slots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from caremesh.kernel.errors import InvalidRequest
from caremesh.modules.scheduling.api.paging import DEFAULT_LIMIT, MAX_LIMIT, parse_time_cursor, time_cursor
from caremesh.modules.scheduling.api.representations import page_json, slot_json
from caremesh.modules.scheduling.application import schedules
from caremesh.modules.scheduling.application.deps import SchedulingDeps
from caremesh.modules.scheduling.application.ports import SlotQuery, TimeKey
from caremesh.modules.scheduling.domain.slot import SlotStatus


def add_slot_routes(router: APIRouter, deps: SchedulingDeps) -> None:
    store, clock = deps.store, deps.clock

    @router.get("/v1/slots")
    async def list_slots(
        schedule_id: str | None = Query(None, max_length=64),
        start: AwareDatetime | None = Query(None, description="slots starting at or after this instant"),
        end: AwareDatetime | None = Query(None, description="slots starting before this instant"),
        status: SlotStatus | None = None,
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Query(None, max_length=512),
    ) -> dict[str, Any]:
        if start is not None and end is not None and end <= start:
            raise InvalidRequest("end must be after start")
        query = SlotQuery(
            limit=limit + 1,
            schedule_id=schedule_id,
            starts_from=start,
            starts_before=end,
            status=status,
            after=parse_time_cursor(cursor),
        )
        async with deps.db.read() as conn:
            found = await store.slots(conn, query)
        page = found[:limit]
        next_cursor = time_cursor(TimeKey(page[-1].start, page[-1].id)) if len(found) > limit else None
        return page_json([slot_json(slot) for slot in page], next_cursor)

    @router.get("/v1/slots/{slot_id}")
    async def get_slot(slot_id: str) -> dict[str, Any]:
        async with deps.db.read() as conn:
            return slot_json(await schedules.require_slot(conn, slot_id, store=store))

    @router.post("/v1/slots/{slot_id}/block")
    async def block_slot(slot_id: str) -> dict[str, Any]:
        async with deps.db.transaction() as conn:
            slot = await schedules.change_slot_status(
                conn, slot_id, SlotStatus.BLOCKED, store=store, clock=clock
            )
        return slot_json(slot)

    @router.post("/v1/slots/{slot_id}/unblock")
    async def unblock_slot(slot_id: str) -> dict[str, Any]:
        async with deps.db.transaction() as conn:
            slot = await schedules.change_slot_status(
                conn, slot_id, SlotStatus.FREE, store=store, clock=clock
            )
        return slot_json(slot)
