"""Cancellation or rejection at any step undoes what was done (dequeue, reverse charge).

Every step is idempotent."""

from __future__ import annotations

from typing import Any

from orders_harness import OrdersApp

from caremesh.kernel.ids import new_id


async def _signed(orders: OrdersApp) -> tuple[str, str, dict[str, Any]]:
    patient = f"pat-{new_id()}"
    draft = await orders.draft(patient)
    await orders.check(draft["id"])
    assert (await orders.sign(draft["id"])).status_code == 200
    await orders.settle()
    entry = await orders.pharmacy_entry(draft["id"])
    assert entry is not None
    return patient, draft["id"], entry


async def _cancel(orders: OrdersApp, order_id: str) -> dict[str, Any]:
    response = await orders.client.post(
        f"/v1/medication-orders/{order_id}/cancel", json={"reason": "changed plan"}
    )
    assert response.status_code == 200, response.text
    await orders.settle()
    return await orders.order(order_id)


def _steps(order: dict[str, Any]) -> dict[str, str]:
    return {step["step"]: step["status"] for step in order["saga"]["steps"]}


async def test_cancelling_a_draft_needs_no_compensation(orders: OrdersApp) -> None:
    draft = await orders.draft(f"pat-{new_id()}")
    order = await _cancel(orders, draft["id"])
    assert order["status"] == "cancelled" and order["saga"]["state"] == "compensated"
    assert await orders.pharmacy_entry(draft["id"]) is None


async def test_cancelling_a_queued_order_dequeues_it(orders: OrdersApp) -> None:
    _, order_id, entry = await _signed(orders)
    order = await _cancel(orders, order_id)
    assert order["saga"]["state"] == "compensated"
    assert _steps(order)["pharmacy-dequeued"] == "done"
    dequeued = await orders.pharmacy_entry(order_id)
    assert dequeued is not None and dequeued["status"] == "dequeued"
    assert (await orders.pharmacy(entry["id"], "verify")).status_code == 409
    resource = (await orders.client.get(f"/fhir/R4/MedicationRequest/{order_id}")).json()
    assert resource["status"] == "cancelled"


async def test_cancelling_after_dispense_reverses_the_charge(orders: OrdersApp) -> None:
    patient, order_id, entry = await _signed(orders)
    assert (await orders.pharmacy(entry["id"], "verify")).status_code == 200
    assert (await orders.pharmacy(entry["id"], "dispense")).status_code == 200
    await orders.settle()
    assert (await orders.order(order_id))["saga"]["state"] == "completed"
    order = await _cancel(orders, order_id)
    assert order["saga"]["state"] == "compensated"
    assert _steps(order)["charge-reversed"] == "done"
    [charge] = await orders.charges(patient)
    assert charge["status"] == "reversed"
    again = await _cancel(orders, order_id)  # idempotent: nothing more happens
    assert again["saga"] == order["saga"]
    assert (
        await orders.count(
            "billing", "SELECT COUNT(*) FROM outbox WHERE event_type = 'billing.ChargeReversed'"
        )
        == 1
    )


async def test_a_pharmacist_rejection_ends_the_order(orders: OrdersApp) -> None:
    patient, order_id, entry = await _signed(orders)
    missing_reason = await orders.pharmacy(entry["id"], "reject")
    assert missing_reason.status_code in (400, 422)
    rejected = await orders.pharmacy(entry["id"], "reject", reason="dose too high for renal function")
    assert rejected.status_code == 200, rejected.text
    await orders.settle()
    order = await orders.order(order_id)
    assert order["status"] == "rejected" and order["end_reason"] == "dose too high for renal function"
    assert order["saga"]["state"] == "compensated"
    assert (await orders.pharmacy(entry["id"], "dispense")).status_code == 409
    assert await orders.charges(patient) == []
    cancel = await orders.client.post(f"/v1/medication-orders/{order_id}/cancel")
    assert cancel.status_code == 409


async def test_pharmacist_steps_are_idempotent_and_guarded_by_role(orders: OrdersApp) -> None:
    patient, order_id, entry = await _signed(orders)
    as_clinician = await orders.client.post(f"/v1/pharmacy/queue/{entry['id']}/verify")
    assert as_clinician.status_code == 403
    for action in ("verify", "verify", "dispense", "dispense", "verify"):
        assert (await orders.pharmacy(entry["id"], action)).status_code == 200
    await orders.settle()
    assert len(await orders.charges(patient)) == 1
    for event_type in ("pharmacy.OrderVerified", "pharmacy.OrderDispensed"):
        sql = "SELECT COUNT(*) FROM outbox WHERE event_type = $1 AND aggregate_id = $2"
        assert await orders.count("pharmacy", sql, event_type, order_id) == 1
    assert (await orders.order(order_id))["status"] == "dispensed"
