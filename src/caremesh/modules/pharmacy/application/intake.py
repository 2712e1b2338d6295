"""What the pharmacy does with order entry's events: queue once, dequeue on cancel, attach re-checks."""

from __future__ import annotations

from dataclasses import replace

import orjson

from caremesh.contracts.clinical_orders import (
    MedicationOrderCancelled,
    MedicationOrderRechecked,
    MedicationOrderSigned,
    OrderAlert,
)
from caremesh.contracts.pharmacy import OrderDequeued, OrderQueued
from caremesh.kernel.clock import utcnow
from caremesh.kernel.events.consumer import HandlerContext
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.ids import new_id
from caremesh.kernel.module import ModuleContext
from caremesh.modules.pharmacy.adapters import pharmacy_sql as sql
from caremesh.modules.pharmacy.application.metrics import QUEUED_ORDERS
from caremesh.modules.pharmacy.domain.pharmacy_order import QUEUED, PharmacyOrder


def alerts_json(alerts: list[OrderAlert]) -> str:
    return orjson.dumps([alert.model_dump() for alert in alerts]).decode()


def subscribe_intake(ctx: ModuleContext, outbox: Outbox) -> None:
    async def signed(event: MedicationOrderSigned, handled: HandlerContext) -> None:
        now = utcnow()
        dose = f"{event.dose_value} {event.dose_unit} {event.route} {event.frequency}"
        dose += f" for {event.duration_days} days"
        order = PharmacyOrder(
            id=new_id(),
            order_id=event.order_id,
            patient_id=event.patient_id,
            medication_code=event.medication_code,
            medication_display=event.medication_display,
            dose=dose,
            quantity=event.quantity,
            interaction_check=event.interaction_check,
            alerts=alerts_json(event.alerts),
            status=QUEUED,
            queued_at=now,
            updated_at=now,
        )
        if not await sql.insert_once(handled.conn, order):
            return  # the same order delivered again (e.g. a second event id): one pharmacy order only
        queued = OrderQueued(
            pharmacy_order_id=order.id,
            order_id=order.order_id,
            patient_id=order.patient_id,
            interaction_check=order.interaction_check,
            queued_at=now,
        )
        await outbox.add(handled.conn, queued)
        handled.conn.on_commit(QUEUED_ORDERS.labels(interaction_check=order.interaction_check).inc)

    async def cancelled(event: MedicationOrderCancelled, handled: HandlerContext) -> None:
        order = await sql.by_order(handled.conn, event.order_id, lock=True)
        if order is None:
            return
        dequeued = order.dequeue(utcnow())
        if dequeued is order:
            return
        await sql.save(handled.conn, dequeued)
        await outbox.add(
            handled.conn,
            OrderDequeued(
                pharmacy_order_id=order.id,
                order_id=order.order_id,
                patient_id=order.patient_id,
                was_dispensed=order.was_dispensed,
                reason=event.reason,
                dequeued_at=dequeued.updated_at,
            ),
        )

    async def rechecked(event: MedicationOrderRechecked, handled: HandlerContext) -> None:
        order = await sql.by_order(handled.conn, event.order_id, lock=True)
        if order is None or order.interaction_check == "completed":
            return
        updated = replace(
            order, interaction_check="completed", alerts=alerts_json(event.alerts), updated_at=utcnow()
        )
        await sql.save(handled.conn, updated)

    (
        ctx.subscribe("order-intake")
        .on(MedicationOrderSigned, signed)
        .on(MedicationOrderCancelled, cancelled)
        .on(MedicationOrderRechecked, rechecked)
    )
