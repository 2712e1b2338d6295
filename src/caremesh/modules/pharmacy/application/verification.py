"""The pharmacist's actions: verify, reject (with a reason), dispense. Each is idempotent: repeating
an action that already happened returns the order unchanged and publishes nothing."""

from __future__ import annotations

from collections.abc import Callable

from caremesh.contracts.base import Event
from caremesh.contracts.pharmacy import OrderDispensed, OrderRejected, OrderVerified
from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Conflict, NotFound
from caremesh.kernel.events.outbox import Outbox
from caremesh.modules.pharmacy.adapters import pharmacy_sql as sql
from caremesh.modules.pharmacy.application.metrics import PHARMACY_DECISIONS
from caremesh.modules.pharmacy.domain.pharmacy_order import PharmacyOrder, PharmacyStateError

Change = Callable[[PharmacyOrder], PharmacyOrder]
Announce = Callable[[PharmacyOrder], Event]


async def _act(
    conn: Connection,
    outbox: Outbox,
    pharmacy_order_id: str,
    change: Change,
    announce: Announce,
    decision: str,
) -> PharmacyOrder:
    order = await sql.get(conn, pharmacy_order_id, lock=True)
    if order is None:
        raise NotFound(f"pharmacy order {pharmacy_order_id[:64]!r} does not exist")
    try:
        changed = change(order)
    except PharmacyStateError as exc:
        raise Conflict(str(exc)) from None
    if changed is order:
        return order
    await sql.save(conn, changed)
    await outbox.add(conn, announce(changed))
    conn.on_commit(PHARMACY_DECISIONS.labels(decision=decision).inc)
    return changed


async def verify(
    conn: Connection,
    outbox: Outbox,
    clock: Clock,
    pharmacy_order_id: str,
    pharmacist: str,
    *,
    manual_check_confirmed: bool = False,
) -> PharmacyOrder:
    def announce(order: PharmacyOrder) -> Event:
        return OrderVerified(
            pharmacy_order_id=order.id,
            order_id=order.order_id,
            patient_id=order.patient_id,
            verified_by=pharmacist,
            verified_at=order.updated_at,
        )

    def change(order: PharmacyOrder) -> PharmacyOrder:
        return order.verify(pharmacist, clock(), manual_check_confirmed=manual_check_confirmed)

    return await _act(conn, outbox, pharmacy_order_id, change, announce, "verified")


async def reject(
    conn: Connection, outbox: Outbox, clock: Clock, pharmacy_order_id: str, pharmacist: str, reason: str
) -> PharmacyOrder:
    def announce(order: PharmacyOrder) -> Event:
        return OrderRejected(
            pharmacy_order_id=order.id,
            order_id=order.order_id,
            patient_id=order.patient_id,
            rejected_by=pharmacist,
            reason=reason,
            rejected_at=order.updated_at,
        )

    return await _act(
        conn, outbox, pharmacy_order_id, lambda o: o.reject(reason, clock()), announce, "rejected"
    )


async def dispense(
    conn: Connection,
    outbox: Outbox,
    clock: Clock,
    pharmacy_order_id: str,
    pharmacist: str,
    quantity: int | None,
) -> PharmacyOrder:
    def announce(order: PharmacyOrder) -> Event:
        return OrderDispensed(
            pharmacy_order_id=order.id,
            order_id=order.order_id,
            patient_id=order.patient_id,
            medication_code=order.medication_code,
            medication_display=order.medication_display,
            quantity=order.dispensed_quantity or order.quantity,
            dispensed_by=pharmacist,
            dispensed_at=order.updated_at,
        )

    return await _act(
        conn, outbox, pharmacy_order_id, lambda o: o.dispense(quantity, clock()), announce, "dispensed"
    )
