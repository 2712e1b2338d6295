"""A retried sign (same Idempotency-Key) never makes a second order, event or pharmacy entry."""

from __future__ import annotations

import asyncio

from orders_harness import OrdersApp

from caremesh.contracts.clinical_orders import MedicationOrderSigned
from caremesh.kernel.events.consumer import deliver
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.ids import new_id


async def _signed_events(orders: OrdersApp, order_id: str) -> int:
    return await orders.count(
        "clinical",
        "SELECT COUNT(*) FROM outbox WHERE event_type = $1 AND aggregate_id = $2",
        MedicationOrderSigned.event_type,
        order_id,
    )


async def test_a_retried_sign_replays_the_first_answer(orders: OrdersApp) -> None:
    draft = await orders.draft(f"pat-{new_id()}")
    await orders.check(draft["id"])
    key = new_id()
    first = await orders.sign(draft["id"], key=key)
    second = await orders.sign(draft["id"], key=key)
    assert first.status_code == second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    await orders.settle()
    assert await _signed_events(orders, draft["id"]) == 1
    assert (
        await orders.count(
            "pharmacy", "SELECT COUNT(*) FROM pharmacy_orders WHERE order_id = $1", draft["id"]
        )
        == 1
    )


async def test_concurrent_retries_sign_once(orders: OrdersApp) -> None:
    draft = await orders.draft(f"pat-{new_id()}")
    await orders.check(draft["id"])
    key = new_id()
    answers = await asyncio.gather(*(orders.sign(draft["id"], key=key) for _ in range(5)))
    assert {answer.status_code for answer in answers} <= {200, 409}
    assert any(answer.status_code == 200 for answer in answers)
    await orders.settle()
    assert await _signed_events(orders, draft["id"]) == 1


async def test_signing_again_with_another_key_is_a_conflict(orders: OrdersApp) -> None:
    draft = await orders.draft(f"pat-{new_id()}")
    await orders.check(draft["id"])
    assert (await orders.sign(draft["id"])).status_code == 200
    again = await orders.sign(draft["id"])
    assert again.status_code == 409
    await orders.settle()
    assert await _signed_events(orders, draft["id"]) == 1


async def test_a_duplicate_delivery_makes_no_second_pharmacy_order(orders: OrdersApp) -> None:
    draft = await orders.draft(f"pat-{new_id()}")
    await orders.check(draft["id"])
    assert (await orders.sign(draft["id"])).status_code == 200
    await orders.settle()
    async with orders.runtime.contexts["clinical"].db.read() as conn:
        body = await conn.fetchval(
            "SELECT body FROM outbox WHERE event_type = $1 AND aggregate_id = $2",
            MedicationOrderSigned.event_type,
            draft["id"],
        )
    envelope = Envelope.from_bytes(body)
    [intake] = orders.runtime.contexts["pharmacy"].subscriptions
    await deliver(intake, [envelope])  # the same event again: the inbox drops it
    # The same order under a new event id (a producer bug or a replayed dead letter): the unique
    # order id drops it.
    await deliver(
        intake, [Envelope.wrap(MedicationOrderSigned.model_validate(envelope.payload), source="clinical")]
    )
    await orders.settle()
    assert (
        await orders.count(
            "pharmacy", "SELECT COUNT(*) FROM pharmacy_orders WHERE order_id = $1", draft["id"]
        )
        == 1
    )
    assert (
        await orders.count(
            "pharmacy", "SELECT COUNT(*) FROM outbox WHERE event_type = 'pharmacy.OrderQueued'"
        )
        == 1
    )
