"""/v1/appointments: book (Idempotency-Key required), read, list, cancel, record the outcome.

Every route checks who may act on whose appointment and audits the access (``api/access.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import InvalidRequest
from caremesh.kernel.http import respond_idempotently
from caremesh.kernel.idempotency import IdempotencyService, StoredResponse
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.scheduling.api.access import (
    OUTCOME_RECORDERS,
    STAFF_READERS,
    STAFF_WRITERS,
    PatientDataAccess,
)
from caremesh.modules.scheduling.api.appointment_v2 import v1_read_deprecation
from caremesh.modules.scheduling.api.paging import DEFAULT_LIMIT, MAX_LIMIT, parse_time_cursor, time_cursor
from caremesh.modules.scheduling.api.representations import appointment_json, page_json
from caremesh.modules.scheduling.api.schemas import AppointmentIn, CancelIn, OutcomeIn
from caremesh.modules.scheduling.application import booking
from caremesh.modules.scheduling.application.deps import SchedulingDeps
from caremesh.modules.scheduling.application.ports import AppointmentQuery, TimeKey
from caremesh.modules.scheduling.domain.appointment import Appointment, AppointmentStatus


def add_appointment_routes(router: APIRouter, deps: SchedulingDeps, idempotency: IdempotencyService) -> None:
    store, outbox, clock = deps.store, deps.outbox, deps.clock
    access = PatientDataAccess(deps.db)

    async def owned(
        request: Request, principal: Principal, interaction: str, appointment_id: str
    ) -> Appointment:
        """The appointment, if the caller may act on it (checked before any change)."""

        async def load() -> Appointment:
            async with deps.db.read() as conn:
                return await booking.require_appointment(conn, appointment_id, store=store)

        resource = f"Appointment/{appointment_id}"
        return await access.one(request, principal, interaction, resource, load, lambda a: a.patient_id)

    @router.post("/v1/appointments", status_code=201)
    async def book(
        body: AppointmentIn, request: Request, principal: Principal = Depends(require_principal)
    ) -> Response:
        await access.allow(request, principal, "create", STAFF_WRITERS, patient=body.patient_id)
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

        response = await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation
        )
        resource = (response.headers.get("location") or "/Appointment").rsplit("/", 1)[-1]
        await access.audit(
            request, principal, "create", patients=[body.patient_id], resource=f"Appointment/{resource}"
        )
        return response

    @router.get("/v1/appointments")
    async def list_appointments(
        request: Request,
        patient_id: str | None = Query(None, max_length=64),
        schedule_id: str | None = Query(None, max_length=64),
        status: AppointmentStatus | None = None,
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
        cursor: str | None = Query(None, max_length=512),
        principal: Principal = Depends(require_principal),
    ) -> dict[str, Any]:
        if patient_id is None and schedule_id is None:
            raise InvalidRequest("filter by patient_id or schedule_id")
        own = await access.allow(request, principal, "search", STAFF_READERS, patient=patient_id)
        query = AppointmentQuery(
            limit=limit + 1,
            patient_id=patient_id if own is None else own,  # a patient only ever searches their own
            schedule_id=schedule_id,
            status=status,
            after=parse_time_cursor(cursor),
        )
        async with deps.db.read() as conn:
            found = await store.appointments(conn, query)
        page = found[:limit]
        patients = [a.patient_id for a in page] or ([query.patient_id] if query.patient_id else [])
        await access.audit(request, principal, "search", patients=patients, query=request.url.query)
        next_cursor = time_cursor(TimeKey(page[-1].start, page[-1].id)) if len(found) > limit else None
        return page_json([appointment_json(a) for a in page], next_cursor)

    @router.get("/v1/appointments/{appointment_id}", dependencies=[Depends(v1_read_deprecation())])
    async def get_appointment(
        appointment_id: str, request: Request, principal: Principal = Depends(require_principal)
    ) -> dict[str, Any]:
        await access.allow(
            request, principal, "read", STAFF_READERS, resource=f"Appointment/{appointment_id}"
        )
        appointment = await owned(request, principal, "read", appointment_id)
        await access.audit(
            request,
            principal,
            "read",
            patients=[appointment.patient_id],
            resource=f"Appointment/{appointment.id}",
        )
        return appointment_json(appointment)

    @router.post("/v1/appointments/{appointment_id}/cancel")
    async def cancel(
        appointment_id: str,
        request: Request,
        body: CancelIn | None = Body(None),
        principal: Principal = Depends(require_principal),
    ) -> Response:
        resource = f"Appointment/{appointment_id}"
        await access.allow(request, principal, "update", STAFF_WRITERS, resource=resource)
        appointment = await owned(request, principal, "update", appointment_id)
        reason = body.reason if body is not None else None

        async def operation(conn: Connection) -> StoredResponse:
            cancelled = await booking.cancel_appointment(
                conn, appointment_id, reason=reason, store=store, outbox=outbox, clock=clock
            )
            return StoredResponse.json(200, appointment_json(cancelled))

        response = await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation, required=False
        )
        await access.audit(request, principal, "update", patients=[appointment.patient_id], resource=resource)
        return response

    @router.post("/v1/appointments/{appointment_id}/outcome")
    async def record_outcome(
        appointment_id: str,
        body: OutcomeIn,
        request: Request,
        principal: Principal = Depends(require_principal),
    ) -> dict[str, Any]:
        resource = f"Appointment/{appointment_id}"
        await access.allow(
            request, principal, "update", OUTCOME_RECORDERS, patients_may=False, resource=resource
        )
        async with deps.db.transaction() as conn:
            updated = await booking.record_outcome(
                conn, appointment_id, AppointmentStatus(body.status), store=store, clock=clock
            )
        await access.audit(request, principal, "update", patients=[updated.patient_id], resource=resource)
        return appointment_json(updated)
