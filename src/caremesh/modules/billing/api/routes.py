"""/v1/billing/charges: a patient's charges, for billing staff and the patient themself (audited)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from caremesh.kernel.db.base import Database
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.billing.adapters import charges_sql as sql
from caremesh.modules.billing.api.access import READERS, PatientDataAccess
from caremesh.modules.billing.application.facade import charge_view


def build_router(db: Database) -> APIRouter:
    router = APIRouter(tags=["billing"], dependencies=[Depends(require_principal)])
    access = PatientDataAccess(db, roleless_users=False)

    @router.get("/v1/billing/charges")
    async def charges(
        request: Request,
        patient: str = Query(max_length=64),
        limit: int = Query(200, ge=1, le=1000),
        principal: Principal = Depends(require_principal),
    ) -> dict[str, Any]:
        await access.allow(request, principal, "search", READERS, patient=patient)
        async with db.read() as conn:
            found = await sql.of_patient(conn, patient, limit)
        await access.audit(request, principal, "search", patients=[patient], query=request.url.query)
        return {"items": [charge_view(charge).model_dump(mode="json") for charge in found]}

    return router
