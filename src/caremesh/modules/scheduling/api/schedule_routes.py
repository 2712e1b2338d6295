"""/v1/schedules: create, list, read, (de)activate, and generate slots from availability."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from caremesh.kernel.db.base import Connection
from caremesh.kernel.http import respond_idempotently
from caremesh.kernel.idempotency import IdempotencyService, StoredResponse
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.scheduling.api.paging import DEFAULT_LIMIT, MAX_LIMIT, id_cursor, parse_id_cursor
from caremesh.modules.scheduling.api.representations import page_json, schedule_json
from caremesh.modules.scheduling.api.schemas import ScheduleIn, SlotGenerationIn
from caremesh.modules.scheduling.application import schedules
from caremesh.modules.scheduling.application.deps import SchedulingDeps
from caremesh.modules.scheduling.application.ports import ScheduleQuery


def add_schedule_routes(router: APIRouter, deps: SchedulingDeps, idempotency: IdempotencyService) -> None:
    store, clock = deps.store, deps.clock

    @router.post("/v1/schedules", status_code=201)
    async def create_schedule(
        body: ScheduleIn, request: Request, principal: Principal = Depends(require_principal)
    ) -> Response:
        draft = body.to_new_schedule()

        async def operation(conn: Connection) -> StoredResponse:
            schedule = await schedules.create_schedule(conn, draft, store=store, clock=clock)
            location = {"location": f"/v1/schedules/{schedule.id}"}
            return StoredResponse.json(201, schedule_json(schedule), headers=location)

        return await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation, required=False
        )

    @router.get("/v1/schedules")
    async def list_schedules(
        practitioner_id: str | None = Query(None, max_length=64),
        active: bool | None = None,
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Query(None, max_length=512),
    ) -> dict[str, Any]:
        query = ScheduleQuery(
            limit=limit + 1, practitioner_id=practitioner_id, active=active, after_id=parse_id_cursor(cursor)
        )
        async with deps.db.read() as conn:
            found = await store.schedules(conn, query)
        more = len(found) > limit
        page = found[:limit]
        return page_json([schedule_json(s) for s in page], id_cursor(page[-1].id) if more else None)

    @router.get("/v1/schedules/{schedule_id}")
    async def get_schedule(schedule_id: str) -> dict[str, Any]:
        async with deps.db.read() as conn:
            return schedule_json(await schedules.require_schedule(conn, schedule_id, store=store))

    @router.post("/v1/schedules/{schedule_id}/activate")
    async def activate(schedule_id: str) -> dict[str, Any]:
        async with deps.db.transaction() as conn:
            schedule = await schedules.set_schedule_active(conn, schedule_id, True, store=store, clock=clock)
        return schedule_json(schedule)

    @router.post("/v1/schedules/{schedule_id}/deactivate")
    async def deactivate(schedule_id: str) -> dict[str, Any]:
        async with deps.db.transaction() as conn:
            schedule = await schedules.set_schedule_active(conn, schedule_id, False, store=store, clock=clock)
        return schedule_json(schedule)

    @router.post("/v1/schedules/{schedule_id}/slots")
    async def generate_slots(schedule_id: str, body: SlotGenerationIn) -> dict[str, Any]:
        availability = body.to_availability()
        async with deps.db.transaction() as conn:
            result = await schedules.generate_slots(conn, schedule_id, availability, store=store, clock=clock)
        return {
            "schedule_id": schedule_id,
            "planned": result.planned,
            "created": result.created,
            "skipped": result.skipped,
        }
