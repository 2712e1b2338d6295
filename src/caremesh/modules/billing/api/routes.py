"""/v1/billing/charges."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from caremesh.kernel.db.base import Database
from caremesh.kernel.errors import Forbidden
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.billing.adapters import charges_sql as sql
from caremesh.modules.billing.application.facade import charge_view

READERS = frozenset({"billing", "clinician", "admin"})


def reader(principal: Principal = Depends(require_principal)) -> Principal:
    if principal.kind != "service" and not READERS.intersection(principal.roles):
        raise Forbidden(f"this needs one of the roles: {', '.join(sorted(READERS))}")
    return principal


def build_router(db: Database) -> APIRouter:
    router = APIRouter(tags=["billing"], dependencies=[Depends(require_principal)])

    @router.get("/v1/billing/charges")
    async def charges(
        patient: str = Query(max_length=64),
        limit: int = Query(200, ge=1, le=1000),
        _: Principal = Depends(reader),
    ) -> dict[str, Any]:
        async with db.read() as conn:
            found = await sql.of_patient(conn, patient, limit)
        return {"items": [charge_view(charge).model_dump(mode="json") for charge in found]}

    return router
