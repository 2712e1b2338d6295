"""``/v1/notify/recipients/{patient_id}``: a patient's contact points and notification choices."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import NotFound
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.notify.api.schemas import PatientId, RecipientIn, RecipientOut
from caremesh.modules.notify.application.commands import put_preferences
from caremesh.modules.notify.application.ports import RecipientStore


def recipients_router(*, db: Database, recipients: RecipientStore, clock: Clock) -> APIRouter:
    router = APIRouter(prefix="/v1/notify/recipients", tags=["notify"])

    @router.put("/{patient_id}", response_model=RecipientOut)
    async def put_recipient(
        patient_id: PatientId, body: RecipientIn, principal: Principal = Depends(require_principal)
    ) -> RecipientOut:
        """Replace the patient's preferences (PUT is idempotent by nature: no key needed)."""
        prefs = body.to_preferences(patient_id)
        async with db.transaction() as conn:
            await put_preferences(conn, prefs, recipients=recipients, now=clock())
        return RecipientOut.of(prefs)

    @router.get("/{patient_id}", response_model=RecipientOut)
    async def get_recipient(
        patient_id: PatientId, principal: Principal = Depends(require_principal)
    ) -> RecipientOut:
        async with db.read() as conn:
            prefs = await recipients.get(conn, patient_id)
        if prefs is None:
            raise NotFound(f"no notification preferences for patient {patient_id}")
        return RecipientOut.of(prefs)

    return router
