"""/v1/monitoring/patients/... and /v1/monitoring/dashboard: what a care-team dashboard needs.

Care plans and care teams per patient, patients ranked by alert status, one patient's summary
(latest values, adherence, alerts, care minutes), care-minute logging and RPM enrolment.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from caremesh.kernel.clock import Clock, require_aware
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.errors import InvalidRequest
from caremesh.kernel.http import respond_idempotently
from caremesh.kernel.idempotency import IdempotencyService, StoredResponse
from caremesh.kernel.security.principal import Principal
from caremesh.modules.monitoring.adapters.alerting import care_sql, dashboard_sql, rpm_sql, signals_sql
from caremesh.modules.monitoring.api.care_team_access import require_staff
from caremesh.modules.monitoring.api.care_team_schemas import (
    CareMinutesIn,
    CareTeamIn,
    EnrolmentIn,
    PatientId,
    adherence_json,
    status_json,
)
from caremesh.modules.monitoring.application.alerting import plans
from caremesh.modules.monitoring.application.alerting.records import TeamMember
from caremesh.modules.monitoring.application.alerting.rpm import RpmProgramme, adherence
from caremesh.modules.monitoring.domain.alert import SEVERITY_RANK

_WORST = "^(critical|warning|low|none)$"


def care_team_router(
    db: Database, rpm: RpmProgramme, idempotency: IdempotencyService, clock: Clock
) -> APIRouter:
    router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"], dependencies=[Depends(require_staff)])

    @router.get("/dashboard/patients")
    async def patients_by_alert_status(
        worst_severity: str | None = Query(None, pattern=_WORST),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=100_000),
    ) -> dict[str, Any]:
        rank = None if worst_severity is None else SEVERITY_RANK.get(worst_severity, 0)
        async with db.read() as conn:
            found = await dashboard_sql.patients_by_alert_status(
                conn, worst_rank=rank, limit=limit, offset=offset
            )
        return {"items": [status_json(s) for s in found]}

    @router.get("/patients/{patient_id}/summary")
    async def summary(patient_id: PatientId) -> dict[str, Any]:
        today = clock().astimezone(UTC).date()
        async with db.read() as conn:
            latest = await signals_sql.latest_of(conn, patient_id)
            status = await adherence(conn, patient_id, today)
            minutes = await rpm_sql.minutes_in_month(conn, patient_id, today.strftime("%Y-%m"))
            team = (await care_sql.teams(conn, [patient_id])).get(patient_id, [])
        return {
            "patient_id": patient_id,
            "latest": {
                row["metric"]: {
                    "value": row["value"],
                    "kind": row["kind"],
                    "measured_at": row["measured_at"].isoformat(),
                    "device_id": row["device_id"],
                }
                for row in latest
            },
            "adherence": adherence_json(status),
            "care_minutes_this_month": minutes,
            "care_team": [{"staff_id": m.staff_id, "role": m.role} for m in team],
        }

    @router.get("/patients/{patient_id}/care-plan")
    async def get_care_plan(patient_id: PatientId) -> dict[str, Any]:
        async with db.read() as conn:
            document, source = await plans.plan_document(conn, patient_id)
        return {"patient_id": patient_id, "source": source, "plan": document}

    @router.put("/patients/{patient_id}/care-plan")
    async def put_care_plan(
        patient_id: PatientId, body: dict[str, Any] = Body(...), principal: Principal = Depends(require_staff)
    ) -> dict[str, Any]:
        async with db.transaction() as conn:
            document = await plans.set_plan(conn, patient_id, body, principal.subject, clock())
        return {"patient_id": patient_id, "source": "patient", "plan": document}

    @router.delete("/patients/{patient_id}/care-plan", status_code=204)
    async def reset_care_plan(patient_id: PatientId) -> Response:
        async with db.transaction() as conn:
            await care_sql.delete_plan(conn, patient_id)
        return Response(status_code=204)

    @router.get("/patients/{patient_id}/care-team")
    async def get_care_team(patient_id: PatientId) -> dict[str, Any]:
        async with db.read() as conn:
            team = (await care_sql.teams(conn, [patient_id])).get(patient_id, [])
        return {"patient_id": patient_id, "members": [{"staff_id": m.staff_id, "role": m.role} for m in team]}

    @router.put("/patients/{patient_id}/care-team")
    async def put_care_team(patient_id: PatientId, body: CareTeamIn) -> dict[str, Any]:
        ids = [m.staff_id for m in body.members]
        if len(set(ids)) != len(ids):
            raise InvalidRequest("a staff member appears twice in the care team")
        async with db.transaction() as conn:
            await care_sql.replace_team(
                conn, patient_id, [TeamMember(m.staff_id, m.role) for m in body.members]
            )
        return {"patient_id": patient_id, "members": [m.model_dump() for m in body.members]}

    @router.post("/patients/{patient_id}/care-minutes", status_code=201)
    async def log_care_minutes(
        patient_id: PatientId,
        body: CareMinutesIn,
        request: Request,
        principal: Principal = Depends(require_staff),
    ) -> Response:
        now = clock()
        try:
            performed_at = (
                now if body.performed_at is None else require_aware(body.performed_at, "performed_at")
            )
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc

        async def operation(conn: Connection) -> StoredResponse:
            entry_id, total = await rpm.log_minutes(
                conn, patient_id, principal.subject, body.minutes, performed_at, body.note, now
            )
            entry = {"id": entry_id, "patient_id": patient_id, "minutes": body.minutes}
            month = {"month": performed_at.strftime("%Y-%m"), "month_total": total}
            return StoredResponse.json(201, {**entry, **month})

        return await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation
        )

    @router.put("/patients/{patient_id}/rpm-enrolment")
    async def put_enrolment(patient_id: PatientId, body: EnrolmentIn) -> dict[str, Any]:
        async with db.transaction() as conn:
            await rpm_sql.set_enrolment(conn, patient_id, body.enrolled_on, clock())
        return {"patient_id": patient_id, "enrolled_on": body.enrolled_on.isoformat()}

    @router.get("/patients/{patient_id}/rpm")
    async def rpm_status(patient_id: PatientId) -> dict[str, Any]:
        today = clock().astimezone(UTC).date()
        async with db.read() as conn:
            status = await adherence(conn, patient_id, today)
            minutes = await rpm_sql.minutes_in_month(conn, patient_id, today.strftime("%Y-%m"))
            charges = await rpm_sql.charges_of(conn, patient_id)
        return {
            "patient_id": patient_id,
            "adherence": adherence_json(status),
            "care_minutes_this_month": minutes,
            "charges": [
                {"cpt_code": c, "period_start": s, "period_end": e, "sequence": n} for c, s, e, n in charges
            ],
        }

    return router
