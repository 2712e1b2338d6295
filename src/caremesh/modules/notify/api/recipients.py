"""``/v1/notify/recipients/{patient_id}``: a patient's contact points and notification choices.

A patient reads and changes their own; staff per ``api/access.py``; every access is audited.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import NotFound
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.notify.api.access import PREFERENCE_WRITERS, STAFF_READERS, PatientDataAccess
from caremesh.modules.notify.api.schemas import PatientId, RecipientIn, RecipientOut
from caremesh.modules.notify.application.commands import put_preferences
from caremesh.modules.notify.application.ports import RecipientStore


def recipients_router(*, db: Database, recipients: RecipientStore, clock: Clock) -> APIRouter:
    router = APIRouter(prefix="/v1/notify/recipients", tags=["notify"])
    access = PatientDataAccess(db)

    @router.put("/{patient_id}", response_model=RecipientOut)
    async def put_recipient(
        patient_id: PatientId,
        body: RecipientIn,
        request: Request,
        principal: Principal = Depends(require_principal),
    ) -> RecipientOut:
        """Replace the patient's preferences (PUT is idempotent by nature: no key needed)."""
        resource = f"Patient/{patient_id}/notification-preferences"
        await access.allow(
            request, principal, "update", PREFERENCE_WRITERS, patient=patient_id, resource=resource
        )
        prefs = body.to_preferences(patient_id)
        async with db.transaction() as conn:
            await put_preferences(conn, prefs, recipients=recipients, now=clock())
        await access.audit(request, principal, "update", patients=[patient_id], resource=resource)
        return RecipientOut.of(prefs)

    @router.get("/{patient_id}", response_model=RecipientOut)
    async def get_recipient(
        patient_id: PatientId, request: Request, principal: Principal = Depends(require_principal)
    ) -> RecipientOut:
        resource = f"Patient/{patient_id}/notification-preferences"
        await access.allow(request, principal, "read", STAFF_READERS, patient=patient_id, resource=resource)
        async with db.read() as conn:
            prefs = await recipients.get(conn, patient_id)
        if prefs is None:
            raise NotFound(f"no notification preferences for patient {patient_id}")
        await access.audit(request, principal, "read", patients=[patient_id], resource=resource)
        return RecipientOut.of(prefs)

    return router
