"""Charge capture: a dispense posts one charge per order; a dequeue after dispense reverses it."""

from __future__ import annotations

from caremesh.contracts.billing import ChargeCaptured, ChargeReversed
from caremesh.contracts.pharmacy import OrderDequeued, OrderDispensed
from caremesh.kernel.clock import utcnow
from caremesh.kernel.events.consumer import HandlerContext
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.ids import new_id
from caremesh.kernel.module import ModuleContext
from caremesh.kernel.observability.metrics import business_counter
from caremesh.modules.billing.adapters import charges_sql as sql
from caremesh.modules.billing.adapters.prices import load_price_list
from caremesh.modules.billing.domain.charge import POSTED, Charge

CHARGES = business_counter("billing_charges", "Charges captured and reversed", ["outcome"])


def subscribe_capture(ctx: ModuleContext, outbox: Outbox) -> None:
    async def dispensed(event: OrderDispensed, handled: HandlerContext) -> None:
        prices = load_price_list()
        unit, amount = prices.amount(event.medication_code, event.quantity)
        charge = Charge(
            id=new_id(),
            order_id=event.order_id,
            patient_id=event.patient_id,
            code=event.medication_code,
            quantity=event.quantity,
            unit_price=unit,
            amount=amount,
            currency=prices.currency,
            price_list_version=prices.version,
            status=POSTED,
            captured_at=utcnow(),
        )
        if not await sql.insert_once(handled.conn, charge):
            return
        captured = ChargeCaptured(
            charge_id=charge.id,
            order_id=charge.order_id,
            patient_id=charge.patient_id,
            code=charge.code,
            quantity=charge.quantity,
            amount=str(amount),
            currency=charge.currency,
            captured_at=charge.captured_at,
        )
        await outbox.add(handled.conn, captured)
        handled.conn.on_commit(CHARGES.labels(outcome="captured").inc)

    async def dequeued(event: OrderDequeued, handled: HandlerContext) -> None:
        charge = await sql.by_order(handled.conn, event.order_id, lock=True)
        if charge is None:
            return  # never dispensed, so never charged: nothing to undo
        reversed_ = charge.reverse(event.reason, utcnow())
        if reversed_ is charge:
            return
        await sql.save_reversal(handled.conn, reversed_)
        assert reversed_.reversed_at is not None
        event_out = ChargeReversed(
            charge_id=charge.id,
            order_id=charge.order_id,
            patient_id=charge.patient_id,
            amount=str(charge.amount),
            currency=charge.currency,
            reason=event.reason,
            reversed_at=reversed_.reversed_at,
        )
        await outbox.add(handled.conn, event_out)
        handled.conn.on_commit(CHARGES.labels(outcome="reversed").inc)

    ctx.subscribe("charge-capture").on(OrderDispensed, dispensed).on(OrderDequeued, dequeued)
