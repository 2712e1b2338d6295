"""/v1/pharmacy: the verification queue and the pharmacist's actions, authorized and audited."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from caremesh.kernel.clock import utcnow
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.errors import NotFound
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.http import respond_idempotently
from caremesh.kernel.idempotency import IdempotencyService, StoredResponse
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.pharmacy.adapters import pharmacy_sql as sql
from caremesh.modules.pharmacy.api.access import PHARMACISTS, READERS, PatientDataAccess
from caremesh.modules.pharmacy.application import verification
from caremesh.modules.pharmacy.domain.pharmacy_order import OPEN, PharmacyOrder

UNAVAILABLE_NOTE = "interaction check unavailable — verify manually"

Status = Literal["queued", "verified", "rejected", "dispensed", "dequeued"]


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Required for an order signed while the interaction check was unavailable.
    manual_check_confirmed: bool = False


class DispenseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int | None = Field(None, ge=1, le=10000)


def order_json(order: PharmacyOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "order_id": order.order_id,
        "patient_id": order.patient_id,
        "status": order.status,
        "medication": {"code": order.medication_code, "display": order.medication_display},
        "dose": order.dose,
        "quantity": order.quantity,
        "interaction_check": order.interaction_check,
        "warning": UNAVAILABLE_NOTE if order.interaction_check == "unavailable" else None,
        "alerts": orjson.loads(order.alerts),
        "queued_at": order.queued_at.isoformat(),
        "verified_by": order.verified_by,
        "rejected_reason": order.rejected_reason,
        "dispensed_quantity": order.dispensed_quantity,
    }


def build_router(db: Database, outbox: Outbox) -> APIRouter:
    router = APIRouter(tags=["pharmacy"], dependencies=[Depends(require_principal)])
    idempotency = IdempotencyService(db)
    access = PatientDataAccess(db, roleless_users=False)

    @router.get("/v1/pharmacy/queue")
    async def queue(
        request: Request,
        status: list[Status] | None = Query(None),
        patient: str | None = Query(None, max_length=64),
        order_id: str | None = Query(None, max_length=64),
        limit: int = Query(100, ge=1, le=500),
        principal: Principal = Depends(require_principal),
    ) -> dict[str, Any]:
        await access.allow(request, principal, "search", READERS, patients_may=False)
        async with db.read() as conn:
            if order_id is not None:
                found = await sql.by_order(conn, order_id)
                items = [found] if found is not None else []
            else:
                items = await sql.queue(conn, list(status) if status else sorted(OPEN), patient, limit)
        patients = [order.patient_id for order in items] or ([patient] if patient else [])
        await access.audit(request, principal, "search", patients=patients, query=request.url.query)
        return {"items": [order_json(order) for order in items]}

    @router.get("/v1/pharmacy/queue/{pharmacy_order_id}")
    async def read(
        pharmacy_order_id: str, request: Request, principal: Principal = Depends(require_principal)
    ) -> dict[str, Any]:
        resource = f"MedicationDispense/{pharmacy_order_id}"
        await access.allow(request, principal, "read", READERS, patients_may=False, resource=resource)
        async with db.read() as conn:
            order = await sql.get(conn, pharmacy_order_id)
        if order is None:
            raise NotFound(f"pharmacy order {pharmacy_order_id[:64]!r} does not exist")
        await access.audit(request, principal, "read", patients=[order.patient_id], resource=resource)
        return order_json(order)

    async def idempotent(
        request: Request, principal: Principal, act: Callable[[Connection], Awaitable[PharmacyOrder]]
    ) -> Response:
        """Run a pharmacist's action (refused, audited, for anyone else) and audit it."""
        resource = f"MedicationDispense/{request.path_params['pharmacy_order_id']}"
        await access.allow(request, principal, "update", PHARMACISTS, patients_may=False, resource=resource)

        async def operation(conn: Connection) -> StoredResponse:
            return StoredResponse.json(200, order_json(await act(conn)))

        response = await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation, required=False
        )
        patient = orjson.loads(response.body).get("patient_id") if response.status_code == 200 else None
        await access.audit(
            request, principal, "update", patients=[patient] if patient else [], resource=resource
        )
        return response

    @router.post("/v1/pharmacy/queue/{pharmacy_order_id}/verify")
    async def verify(
        pharmacy_order_id: str,
        request: Request,
        body: VerifyIn | None = Body(None),
        principal: Principal = Depends(require_principal),
    ) -> Response:
        confirmed = body is not None and body.manual_check_confirmed
        return await idempotent(
            request,
            principal,
            lambda conn: verification.verify(
                conn, outbox, utcnow, pharmacy_order_id, principal.subject, manual_check_confirmed=confirmed
            ),
        )

    @router.post("/v1/pharmacy/queue/{pharmacy_order_id}/reject")
    async def reject(
        pharmacy_order_id: str,
        body: RejectIn,
        request: Request,
        principal: Principal = Depends(require_principal),
    ) -> Response:
        return await idempotent(
            request,
            principal,
            lambda conn: verification.reject(
                conn, outbox, utcnow, pharmacy_order_id, principal.subject, body.reason
            ),
        )

    @router.post("/v1/pharmacy/queue/{pharmacy_order_id}/dispense")
    async def dispense(
        pharmacy_order_id: str,
        request: Request,
        body: DispenseIn | None = Body(None),
        principal: Principal = Depends(require_principal),
    ) -> Response:
        quantity = body.quantity if body is not None else None
        return await idempotent(
            request,
            principal,
            lambda conn: verification.dispense(
                conn, outbox, utcnow, pharmacy_order_id, principal.subject, quantity
            ),
        )

    return router
