"""/v2/appointments/{id}: the worked example of serving two versions of one API side by side.

v2 changes the representation only: related records are nested references, the time fields
form a ``period`` and a cancellation is one object instead of two loose fields. The read runs
the same application function as v1 (``booking.require_appointment``); no domain logic is
duplicated. v1's read announces its deprecation and points at this route (docs/security-edge.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request

from caremesh.kernel.edge.versioning import deprecated
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.scheduling.api.access import STAFF_READERS, PatientDataAccess
from caremesh.modules.scheduling.application import booking
from caremesh.modules.scheduling.application.deps import SchedulingDeps
from caremesh.modules.scheduling.domain.appointment import Appointment

V2_RELEASED = datetime(2026, 11, 26, tzinfo=UTC)
V1_READ_SUNSET = datetime(2027, 11, 26, tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def appointment_v2_json(appointment: Appointment) -> dict[str, Any]:
    cancellation = (
        {"at": _iso(appointment.cancelled_at), "reason": appointment.cancel_reason}
        if appointment.cancelled_at is not None
        else None
    )
    return {
        "id": appointment.id,
        "status": appointment.status.value,
        "patient": {"id": appointment.patient_id},
        "practitioner": {"id": appointment.practitioner_id},
        "slot": {"id": appointment.slot_id, "schedule_id": appointment.schedule_id},
        "period": {"start": _iso(appointment.start), "end": _iso(appointment.end)},
        "location": appointment.location,
        "service_type": appointment.service_type,
        "reason": appointment.reason,
        "cancellation": cancellation,
        "meta": {"created": _iso(appointment.created_at), "updated": _iso(appointment.updated_at)},
    }


def v1_read_deprecation() -> Any:
    """The dependency v1's appointment read carries: Deprecation, Sunset, successor Link."""
    return deprecated(
        deprecated_at=V2_RELEASED,
        sunset_at=V1_READ_SUNSET,
        successor=lambda request: f"/v2/appointments/{request.path_params['appointment_id']}",
    )


def add_appointment_v2_routes(router: APIRouter, deps: SchedulingDeps) -> None:
    access = PatientDataAccess(deps.db)

    @router.get("/v2/appointments/{appointment_id}")
    async def get_appointment_v2(
        appointment_id: str, request: Request, principal: Principal = Depends(require_principal)
    ) -> dict[str, Any]:
        resource = f"Appointment/{appointment_id}"
        await access.allow(request, principal, "read", STAFF_READERS, resource=resource)

        async def load() -> Appointment:
            async with deps.db.read() as conn:
                return await booking.require_appointment(conn, appointment_id, store=deps.store)

        appointment = await access.one(request, principal, "read", resource, load, lambda a: a.patient_id)
        await access.audit(request, principal, "read", patients=[appointment.patient_id], resource=resource)
        return appointment_v2_json(appointment)
