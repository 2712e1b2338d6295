"""/v1/medication-orders: draft, check, sign (Idempotency-Key required), cancel, read with the saga.

Authorized like the FHIR API (docs/security-audit.md): prescribers write, the care team reads, a
patient (``patient`` role, ``Patient/`` fhirUser or a patient launch context without a role) reads
only their own orders, caremesh services pass. Refusals are one 403 whether or not the order
exists and are audited (best effort); every access is audited before the answer (else 503).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any, NoReturn

import orjson
from fastapi import APIRouter, Body, Depends, Query, Request, Response

from caremesh.kernel.audit.access import access_record, record_access
from caremesh.kernel.audit.patient_access import DENIED, confined_to
from caremesh.kernel.audit.record import MINOR_FAILURE
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.errors import Forbidden, NotFound
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
SOURCE = "caremesh/clinical"
PRESCRIBERS = frozenset({"clinician"})
READERS = frozenset({"clinician", "nurse", "pharmacist"})


class OrderAccess:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def allow(
        self, request: Request, principal: Principal, interaction: str, roles: frozenset[str],
        *, patients_may: bool = False, patient: str | None = None, resource: str | None = None,
    ) -> str | None:  # fmt: skip
        """Refuse before any data is read; returns the patient a confined caller is limited to."""
        own = confined_to(principal)
        permitted = principal.kind == "service" or (
            patients_may if own is not None else bool(roles.intersection(principal.roles))
        )
        if not permitted or (own is not None and patient is not None and patient != own):
            await self.refuse(
                request, principal, interaction, resource, patients=[patient] if patient else []
            )
        return own

    async def refuse(
        self, request: Request, principal: Principal, interaction: str, resource: str | None,
        patients: Iterable[str] = (),
    ) -> NoReturn:  # fmt: skip
        record = access_record(
            request, principal, interaction, source=SOURCE, patients=patients, resource=resource,
            outcome=MINOR_FAILURE,
        )  # fmt: skip
        await AuditWriter.of(self.db).record_best_effort(replace(record, description="access denied"))
        raise Forbidden(DENIED)

    async def audit(
        self, request: Request, principal: Principal, interaction: str, resource: str, patient: str | None
    ) -> None:
        patients = [patient] if patient else []
        await record_access(
            self.db, request, principal, interaction, source=SOURCE, patients=patients, resource=resource
        )


def _patient_of(response: Response) -> str | None:
    if response.status_code >= 300:
        return None
    return orjson.loads(bytes(response.body)).get("patient_id")


async def _present(conn: Connection, order: MedicationOrder) -> dict[str, Any]:
    return order_json(order, await sql.steps_of(conn, order.id))


def build_medication_order_router(deps: OrderEntryDeps) -> APIRouter:
    router = APIRouter(tags=["medication-orders"], dependencies=[Depends(require_principal)])
    idempotency = IdempotencyService(deps.db, lock_timeout=timedelta(seconds=deps.idempotency_lock_seconds))
    access = OrderAccess(deps.db)

    @router.post(PATH, status_code=201)
    async def create(
        body: DraftIn, request: Request, response: Response, principal: Principal = Depends(require_principal)
    ) -> dict[str, Any]:
        await access.allow(request, principal, "create", PRESCRIBERS, patient=body.patient_id)
        prescription = Prescription(
            medication_code=body.medication.code,
            medication_display=body.medication.display,
            dose_value=body.dose.value,
            dose_unit=body.dose.unit,
            frequency=body.frequency,
            route=body.route,
            duration_days=body.duration_days,
        )
        draft = orders.DraftRequest(body.patient_id, body.encounter_id, prescription, principal.subject)
        order = await orders.create_draft(deps, draft)
        await access.audit(request, principal, "create", f"MedicationRequest/{order.id}", order.patient_id)
        response.headers["location"] = f"{PATH}/{order.id}"
        return order_json(order, {})

    @router.get(PATH)
    async def list_orders(
        request: Request,
        patient: str = Query(max_length=64),
        limit: int = Query(100, ge=1, le=500),
        principal: Principal = Depends(require_principal),
    ) -> dict[str, Any]:
        await access.allow(request, principal, "search", READERS, patients_may=True, patient=patient)
        async with deps.db.read() as conn:
            found = await sql.orders_of_patient(conn, patient, limit)
            items = [await _present(conn, order) for order in found]
        await record_access(
            deps.db, request, principal, "search", source=SOURCE, patients=[patient], query=request.url.query
        )
        return {"items": items}

    @router.get(PATH + "/{order_id}")
    async def read(
        order_id: str, request: Request, principal: Principal = Depends(require_principal)
    ) -> dict[str, Any]:
        resource = f"MedicationRequest/{order_id}"
        own = await access.allow(request, principal, "read", READERS, patients_may=True, resource=resource)
        async with deps.db.read() as conn:
            try:
                order = await orders.require_order(conn, order_id)
            except NotFound:
                if own is not None:  # a missing order looks like someone else's
                    await access.refuse(request, principal, "read", resource)
                raise
            if own is not None and order.patient_id != own:
                await access.refuse(request, principal, "read", resource, patients=[order.patient_id])
            shown = await _present(conn, order)
        await access.audit(request, principal, "read", resource, order.patient_id)
        return shown

    @router.post(PATH + "/{order_id}/check")
    async def check(
        order_id: str, request: Request, principal: Principal = Depends(require_principal)
    ) -> dict[str, Any]:
        resource = f"MedicationRequest/{order_id}"
        await access.allow(request, principal, "update", PRESCRIBERS, resource=resource)
        _, order = await orders.check(deps, order_id, hook="order-select", user=principal.subject)
        async with deps.db.read() as conn:
            shown = await _present(conn, order)
        await access.audit(request, principal, "update", resource, order.patient_id)
        return {**shown, "cards": [alert_json(alert) for alert in order.alerts]}

    @router.post(PATH + "/{order_id}/sign")
    async def sign(
        order_id: str,
        request: Request,
        body: SignIn | None = Body(None),
        principal: Principal = Depends(require_principal),
    ) -> Response:
        resource = f"MedicationRequest/{order_id}"
        await access.allow(request, principal, "update", PRESCRIBERS, resource=resource)

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
        await access.audit(request, principal, "update", resource, _patient_of(signed))
        return signed

    @router.post(PATH + "/{order_id}/cancel")
    async def cancel(
        order_id: str,
        request: Request,
        body: CancelIn | None = Body(None),
        principal: Principal = Depends(require_principal),
    ) -> Response:
        resource = f"MedicationRequest/{order_id}"
        await access.allow(request, principal, "update", PRESCRIBERS, resource=resource)
        reason = body.reason if body is not None else None

        async def operation(conn: Connection) -> StoredResponse:
            cancelled = await orders.cancel(deps, conn, order_id, reason)
            return StoredResponse.json(200, await _present(conn, cancelled))

        cancelled = await respond_idempotently(
            request, service=idempotency, principal=principal, operation=operation, required=False
        )
        await access.audit(request, principal, "update", resource, _patient_of(cancelled))
        return cancelled

    return router
