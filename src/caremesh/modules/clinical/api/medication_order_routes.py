"""/v1/medication-orders: draft, check, sign (Idempotency-Key required), cancel, read with the saga."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Forbidden
from caremesh.kernel.http import respond_idempotently
from caremesh.kernel.idempotency import IdempotencyService, StoredResponse
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.clinical.adapters import medication_order_sql as sql
from caremesh.modules.clinical.api.medication_order_schemas import CancelIn, DraftIn, SignIn, order_json
from caremesh.modules.clinical.application import medication_orders as orders
from caremesh.modules.clinical.application.medication_order_signing import alert_json, sign_with_rechecks
from caremesh.modules.clinical.application.medication_orders_deps import OrderEntryDeps
from caremesh.modules.clinical.domain.medication_order import MedicationOrder, Prescription

PATH = "/v1/medication-orders"
PRESCRIBERS = frozenset({"clinician"})
READERS = frozenset({"clinician", "nurse", "pharmacist"})


def require_role(principal: Principal, allowed: frozenset[str]) -> Principal:
    """Only prescribers write orders; care team members read them; caremesh services may do both."""
    if principal.kind != "service" and not allowed.intersection(principal.roles):
        raise Forbidden(f"this needs one of the roles: {', '.join(sorted(allowed))}")
    return principal


def prescriber(principal: Principal = Depends(require_principal)) -> Principal:
    return require_role(principal, PRESCRIBERS)


def reader(principal: Principal = Depends(require_principal)) -> Principal:
    return require_role(principal, READERS)


async def _present(conn: Connection, order: MedicationOrder) -> dict[str, Any]:
    return order_json(order, await sql.steps_of(conn, order.id))


def build_medication_order_router(deps: OrderEntryDeps) -> APIRouter:
    router = APIRouter(tags=["medication-orders"], dependencies=[Depends(require_principal)])
    idempotency = IdempotencyService(deps.db, lock_timeout=timedelta(seconds=deps.idempotency_lock_seconds))

    @router.post(PATH, status_code=201)
    async def create(
        body: DraftIn, response: Response, principal: Principal = Depends(prescriber)
    ) -> dict[str, Any]:
        prescription = Prescription(
            medication_code=body.medication.code,
            medication_display=body.medication.display,
            dose_value=body.dose.value,
            dose_unit=body.dose.unit,
            frequency=body.frequency,
            route=body.route,
            duration_days=body.duration_days,
        )
        request = orders.DraftRequest(body.patient_id, body.encounter_id, prescription, principal.subject)
        order = await orders.create_draft(deps, request)
        response.headers["location"] = f"{PATH}/{order.id}"
        return order_json(order, {})

    @router.get(PATH)
    async def list_orders(
        patient: str = Query(max_length=64),
        limit: int = Query(100, ge=1, le=500),
        _: Principal = Depends(reader),
    ) -> dict[str, Any]:
        async with deps.db.read() as conn:
            found = await sql.orders_of_patient(conn, patient, limit)
            return {"items": [await _present(conn, order) for order in found]}

    @router.get(PATH + "/{order_id}")
    async def read(order_id: str, _: Principal = Depends(reader)) -> dict[str, Any]:
        async with deps.db.read() as conn:
            return await _present(conn, await orders.require_order(conn, order_id))

    @router.post(PATH + "/{order_id}/check")
    async def check(order_id: str, principal: Principal = Depends(prescriber)) -> dict[str, Any]:
        _, order = await orders.check(deps, order_id, hook="order-select", user=principal.subject)
        async with deps.db.read() as conn:
            shown = await _present(conn, order)
        return {**shown, "cards": [alert_json(alert) for alert in order.alerts]}

    @router.post(PATH + "/{order_id}/sign")
    async def sign(
        order_id: str,
        request: Request,
        body: SignIn | None = Body(None),
        principal: Principal = Depends(prescriber),
    ) -> Response:
        def respond(operation: Callable[[Connection], Awaitable[StoredResponse]]) -> Awaitable[Response]:
            return respond_idempotently(
                request, service=idempotency, principal=principal, operation=operation
            )

        signed = await sign_with_rechecks(
            deps,
            order_id,
            user=principal.subject,
            overrides=(body or SignIn()).as_overrides(),
            respond=respond,
            present=_present,
        )
        assert isinstance(signed, Response)
        return signed

    @router.post(PATH + "/{order_id}/cancel")
    async def cancel(
        order_id: str,
        request: Request,
        body: CancelIn | None = Body(None),
        principal: Principal = Depends(prescriber),
    ) -> Response:
        reason = body.reason if body is not None else None

        async def operation(conn: Connection) -> StoredResponse:
            cancelled = await orders.cancel(deps, conn, order_id, reason)
            return StoredResponse.json(200, await _present(conn, cancelled))

        return await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation, required=False
        )

    return router
