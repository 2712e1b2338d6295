"""Order entry use cases: create a draft, check it with CDS, cancel it, read it with its saga."""

from __future__ import annotations

from dataclasses import dataclass

from caremesh.contracts.cds import Coding, DoseAmount, MedicationItem, OrderCheckRequest
from caremesh.contracts.clinical_orders import MedicationOrderCancelled
from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Conflict, NotFound
from caremesh.kernel.ids import new_id
from caremesh.modules.clinical.adapters import medication_order_sql as sql
from caremesh.modules.clinical.application.medication_order_cds import alerts_of
from caremesh.modules.clinical.application.medication_order_context import read_medication_context
from caremesh.modules.clinical.application.medication_order_fhir import write_medication_request
from caremesh.modules.clinical.application.medication_orders_deps import OrderEntryDeps
from caremesh.modules.clinical.domain.medication_order import (
    AT_PHARMACY,
    CANCELLED,
    ENDED,
    RXNORM,
    SIGNABLE,
    Alert,
    MedicationOrder,
    Prescription,
)


@dataclass(frozen=True)
class DraftRequest:
    patient_id: str
    encounter_id: str | None
    prescription: Prescription
    ordered_by: str


async def create_draft(deps: OrderEntryDeps, request: DraftRequest) -> MedicationOrder:
    now = deps.clock()
    order = MedicationOrder(
        id=new_id(),
        patient_id=request.patient_id,
        encounter_id=request.encounter_id,
        prescription=request.prescription,
        ordered_by=request.ordered_by,
        created_at=now,
        updated_at=now,
    )
    async with deps.db.transaction() as conn:
        await sql.insert_order(conn, order)
        await write_medication_request(conn, deps.engine, order, new=True)
    return order


async def require_order(conn: Connection, order_id: str, *, lock: bool = False) -> MedicationOrder:
    order = await sql.get_order(conn, order_id, lock=lock)
    if order is None:
        raise NotFound(f"medication order {order_id[:64]!r} does not exist")
    return order


def draft_item(order: MedicationOrder) -> MedicationItem:
    rx = order.prescription
    return MedicationItem(
        order_id=order.id,
        medication=Coding(system=RXNORM, code=rx.medication_code, display=rx.medication_display),
        daily_dose=DoseAmount(value=float(rx.daily_dose), unit=rx.dose_unit),
        status="draft",
    )


async def check_request(
    deps: OrderEntryDeps, order: MedicationOrder, hook: str, user: str | None
) -> tuple[int, OrderCheckRequest]:
    context = await read_medication_context(deps.engine, order.patient_id, exclude_order=order.id)
    request = OrderCheckRequest(
        hook="order-sign" if hook == "order-sign" else "order-select",
        patient_id=order.patient_id,
        encounter_id=order.encounter_id,
        user_id=user,
        drafts=[draft_item(order)],
        active_medications=context.medications,
        allergies=context.allergies,
    )
    return context.version, request


async def check(
    deps: OrderEntryDeps, order_id: str, *, hook: str, user: str | None
) -> tuple[tuple[Alert, ...], MedicationOrder]:
    """Run CDS on the order against the patient's current context; (alerts seen before, order now)."""
    async with deps.db.read() as conn:
        order = await require_order(conn, order_id)
    _require_signable(order)
    version, request = await check_request(deps, order, hook, user)
    result = await deps.cds.check(request)
    alerts = None if result is None else alerts_of(result)
    knowledge = None if result is None else result.knowledge_version
    async with deps.db.transaction() as conn:
        current = await require_order(conn, order_id, lock=True)
        _require_signable(current)
        checked = current.record_check(version, alerts, knowledge, deps.clock())
        await sql.save_order(conn, checked)
    return current.alerts, checked


def _require_signable(order: MedicationOrder) -> None:
    if order.status not in SIGNABLE:
        raise Conflict(f"the order is {order.status}; only a draft can be checked or signed")


async def cancel(
    deps: OrderEntryDeps, conn: Connection, order_id: str, reason: str | None
) -> MedicationOrder:
    """Cancel at any step; a signed order's cancellation tells pharmacy and billing to undo their part."""
    order = await require_order(conn, order_id, lock=True)
    if order.status in ENDED:
        if order.status != CANCELLED:
            raise Conflict(f"the order was already {order.status}")
        return order
    now = deps.clock()
    cancelled = order.end(CANCELLED, reason, now)
    await sql.save_order(conn, cancelled)
    await write_medication_request(conn, deps.engine, cancelled, new=False)
    await sql.record_step(conn, order.id, "cancelled", now)
    if order.status in AT_PHARMACY:
        event = MedicationOrderCancelled(
            order_id=order.id, patient_id=order.patient_id, reason=reason, cancelled_at=now
        )
        await deps.outbox.add(conn, event)
    return cancelled
