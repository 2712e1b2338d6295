"""Order entry follows its saga: pharmacy's and billing's events become the order's steps.

Each handler runs in the consumer's transaction with its inbox mark, and each step is recorded
once (``record_step`` ignores a second time), so redeliveries change nothing.
"""

from __future__ import annotations

from datetime import datetime

import structlog

from caremesh.contracts.billing import ChargeCaptured, ChargeReversed
from caremesh.contracts.pharmacy import (
    OrderDequeued,
    OrderDispensed,
    OrderQueued,
    OrderRejected,
    OrderVerified,
)
from caremesh.kernel.db.base import Connection
from caremesh.kernel.events.consumer import HandlerContext
from caremesh.kernel.module import ModuleContext
from caremesh.modules.clinical.adapters import medication_order_sql as sql
from caremesh.modules.clinical.application.medication_order_fhir import write_medication_request
from caremesh.modules.clinical.application.medication_orders_deps import OrderEntryDeps
from caremesh.modules.clinical.domain.medication_order import DISPENSED, REJECTED, VERIFIED

log = structlog.get_logger(__name__)


def subscribe_saga(ctx: ModuleContext, deps: OrderEntryDeps) -> None:
    async def step(conn: Connection, order_id: str, name: str, at: datetime) -> None:
        if await sql.get_order(conn, order_id) is None:
            log.warning("saga event for an unknown medication order", order_id=order_id, step=name)
            return
        await sql.record_step(conn, order_id, name, at)

    async def advance(conn: Connection, order_id: str, status: str, at: datetime) -> None:
        await step(conn, order_id, status, at)
        order = await sql.get_order(conn, order_id, lock=True)
        if order is not None and (advanced := order.advance(status, at)) is not order:
            await sql.save_order(conn, advanced)

    async def queued(event: OrderQueued, handled: HandlerContext) -> None:
        await step(handled.conn, event.order_id, "pharmacy-queued", event.queued_at)

    async def verified(event: OrderVerified, handled: HandlerContext) -> None:
        await advance(handled.conn, event.order_id, VERIFIED, event.verified_at)

    async def dispensed(event: OrderDispensed, handled: HandlerContext) -> None:
        await advance(handled.conn, event.order_id, DISPENSED, event.dispensed_at)

    async def rejected(event: OrderRejected, handled: HandlerContext) -> None:
        conn = handled.conn
        await step(conn, event.order_id, "rejected", event.rejected_at)
        order = await sql.get_order(conn, event.order_id, lock=True)
        if order is None or order.status in (REJECTED, "cancelled"):
            return
        ended = order.end(REJECTED, event.reason, event.rejected_at)
        await sql.save_order(conn, ended)
        await write_medication_request(conn, deps.engine, ended, new=False)

    async def dequeued(event: OrderDequeued, handled: HandlerContext) -> None:
        await step(handled.conn, event.order_id, "pharmacy-dequeued", event.dequeued_at)

    async def captured(event: ChargeCaptured, handled: HandlerContext) -> None:
        await step(handled.conn, event.order_id, "charge-captured", event.captured_at)

    async def reversed_(event: ChargeReversed, handled: HandlerContext) -> None:
        await step(handled.conn, event.order_id, "charge-reversed", event.reversed_at)

    (
        ctx.subscribe("order-saga")
        .on(OrderQueued, queued)
        .on(OrderVerified, verified)
        .on(OrderDispensed, dispensed)
        .on(OrderRejected, rejected)
        .on(OrderDequeued, dequeued)
        .on(ChargeCaptured, captured)
        .on(ChargeReversed, reversed_)
    )
