"""``/v1/notify/staff/{staff_id}``: a care-team member's contact points for monitoring alerts.

Stored as the recipient ``staff:<staff_id>`` (see ``application/care_team_alerts.py``). Not patient
data, so not audited on success; but only the staff member themself or the care team manage them
(a patient's token is refused).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import NotFound
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.notify.api.access import PatientDataAccess
from caremesh.modules.notify.api.schemas import IDENTIFIER, RecipientIn, RecipientOut
from caremesh.modules.notify.application.care_team_alerts import staff_recipient_id
from caremesh.modules.notify.application.commands import put_preferences
from caremesh.modules.notify.application.ports import RecipientStore
from caremesh.modules.notify.domain.preferences import Preferences

CARE_TEAM = frozenset({"clinician", "nurse", "care-coordinator", "admin"})
StaffId = Annotated[str, Path(pattern=IDENTIFIER, description="the staff member's id (token subject)")]


def _staff_json(staff_id: str, prefs: Preferences) -> dict[str, Any]:
    body = RecipientOut.of(prefs).model_dump(exclude={"patient_id"})
    return {"staff_id": staff_id, **body}


def staff_router(*, db: Database, recipients: RecipientStore, clock: Clock) -> APIRouter:
    router = APIRouter(prefix="/v1/notify/staff", tags=["notify"])
    access = PatientDataAccess(db)

    async def allow(request: Request, principal: Principal, interaction: str, staff_id: str) -> None:
        if principal.kind == "user" and principal.subject == staff_id and "patient" not in principal.roles:
            return
        await access.allow(request, principal, interaction, CARE_TEAM, patients_may=False)

    @router.put("/{staff_id}")
    async def put_staff(
        staff_id: StaffId,
        body: RecipientIn,
        request: Request,
        principal: Principal = Depends(require_principal),
    ) -> dict[str, Any]:
        await allow(request, principal, "update", staff_id)
        prefs = body.to_preferences(staff_recipient_id(staff_id))
        async with db.transaction() as conn:
            await put_preferences(conn, prefs, recipients=recipients, now=clock())
        return _staff_json(staff_id, prefs)

    @router.get("/{staff_id}")
    async def get_staff(
        staff_id: StaffId, request: Request, principal: Principal = Depends(require_principal)
    ) -> dict[str, Any]:
        await allow(request, principal, "read", staff_id)
        async with db.read() as conn:
            prefs = await recipients.get(conn, staff_recipient_id(staff_id))
        if prefs is None:
            raise NotFound(f"no contact points for staff member {staff_id}")
        return _staff_json(staff_id, prefs)

    return router
