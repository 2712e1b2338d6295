"""/v1/appointments: book (Idempotency-Key required), read, list, cancel, record the outcome."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import InvalidRequest
from caremesh.kernel.http import respond_idempotently
from caremesh.kernel.idempotency import IdempotencyService, StoredResponse
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.scheduling.api.appointment_v2 import v1_read_deprecation
from caremesh.modules.scheduling.api.paging import DEFAULT_LIMIT, MAX_LIMIT, parse_time_cursor, time_cursor
from caremesh.modules.scheduling.api.representations import appointment_json, page_json
from caremesh.modules.scheduling.api.schemas import AppointmentIn, CancelIn, OutcomeIn
from caremesh.modules.scheduling.application import booking
from caremesh.modules.scheduling.application.deps import SchedulingDeps
from caremesh.modules.scheduling.application.ports import AppointmentQuery, TimeKey
from caremesh.modules.scheduling.domain.appointment import AppointmentStatus


def add_appointment_routes(router: APIRouter, deps: SchedulingDeps, idempotency: IdempotencyService) -> None:
    store, outbox, clock = deps.store, deps.outbox, deps.clock

    @router.post("/v1/appointments", status_code=201)
    async def book(
        body: AppointmentIn, request: Request, principal: Principal = Depends(require_principal)
    ) -> Response:
        booking_request = booking.BookingRequest(
            slot_id=body.slot_id,
            patient_id=body.patient_id,
            booked_by=principal.subject,
            service_type=body.service_type,
            reason=body.reason,
        )

        async def operation(conn: Connection) -> StoredResponse:
            appointment = await booking.book_appointment(
                conn, booking_request, store=store, outbox=outbox, clock=clock
            )
            location = {"location": f"/v1/appointments/{appointment.id}"}
            return StoredResponse.json(201, appointment_json(appointment), headers=location)

        return await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation
        )

    @router.get("/v1/appointments")
    async def list_appointments(
        patient_id: str | None = Query(None, max_length=64),
        schedule_id: str | None = Query(None, max_length=64),
        status: AppointmentStatus | None = None,
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Query(None, max_length=512),
    ) -> dict[str, Any]:
        if patient_id is None and schedule_id is None:
            raise InvalidRequest("filter by patient_id or schedule_id")
        query = AppointmentQuery(
            limit=limit + 1,
            patient_id=patient_id,
            schedule_id=schedule_id,
            status=status,
            after=parse_time_cursor(cursor),
        )
        async with deps.db.read() as conn:
            found = await store.appointments(conn, query)
        page = found[:limit]
        next_cursor = time_cursor(TimeKey(page[-1].start, page[-1].id)) if len(found) > limit else None
        return page_json([appointment_json(a) for a in page], next_cursor)

    @router.get("/v1/appointments/{appointment_id}", dependencies=[Depends(v1_read_deprecation())])
    async def get_appointment(appointment_id: str) -> dict[str, Any]:
        async with deps.db.read() as conn:
            return appointment_json(await booking.require_appointment(conn, appointment_id, store=store))

    @router.post("/v1/appointments/{appointment_id}/cancel")
    async def cancel(
        appointment_id: str,
        request: Request,
        body: CancelIn | None = Body(None),
        principal: Principal = Depends(require_principal),
    ) -> Response:
        reason = body.reason if body is not None else None

        async def operation(conn: Connection) -> StoredResponse:
            cancelled = await booking.cancel_appointment(
                conn, appointment_id, reason=reason, store=store, outbox=outbox, clock=clock
            )
            return StoredResponse.json(200, appointment_json(cancelled))

        return await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation, required=False
        )

    @router.post("/v1/appointments/{appointment_id}/outcome")
    async def record_outcome(appointment_id: str, body: OutcomeIn) -> dict[str, Any]:
        async with deps.db.transaction() as conn:
            updated = await booking.record_outcome(
                conn, appointment_id, AppointmentStatus(body.status), store=store, clock=clock
            )
        return appointment_json(updated)
