"""Medication orders, the pharmacy queue and billing charges over /v1: BOLA and audit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.integration.orders.orders_harness import DOUBLE, OrdersApp, real_cds_exists, topology_for
from tests.support.asgi import asgi_client
from v1access_harness import PROBLEM, bearer, patient_token

from caremesh.bootstrap import build_runtime
from caremesh.kernel.ids import new_id


@pytest.fixture
async def orders(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OrdersApp]:
    if not real_cds_exists():
        monkeypatch.setenv("CAREMESH_EXTRA_MODULES", DOUBLE)
    runtime = build_runtime(topology_for(database_url))
    clinician = bearer("prac-v1a", "clinician")
    async with asgi_client(runtime, headers=clinician, base_url="http://orders.test") as client:
        yield OrdersApp(client, runtime)


async def _audit(app: OrdersApp, module: str) -> list[tuple[str, str, str]]:
    """(interaction, outcome, subject) of each audit record of ``module``, oldest first."""
    async with app.runtime.contexts[module].db.read() as conn:
        rows = await conn.fetch("SELECT interaction, outcome, subject FROM audit_event ORDER BY seq")
    return [(row["interaction"], row["outcome"], row["subject"]) for row in rows]


async def test_a_patient_reads_only_their_own_medication_orders(orders: OrdersApp) -> None:
    alice, bob = f"pat-a-{new_id()}", f"pat-b-{new_id()}"
    draft = await orders.draft(alice)
    path = f"/v1/medication-orders/{draft['id']}"
    own = await orders.client.get(path, headers=patient_token(alice))
    own_list = await orders.client.get(
        "/v1/medication-orders", params={"patient": alice}, headers=patient_token(alice)
    )
    theirs = await orders.client.get(path, headers=patient_token(bob))
    missing = await orders.client.get("/v1/medication-orders/ord-missing", headers=patient_token(bob))
    their_list = await orders.client.get(
        "/v1/medication-orders", params={"patient": alice}, headers=patient_token(bob)
    )
    cancel = await orders.client.post(f"{path}/cancel", headers=patient_token(alice))
    assert own.status_code == own_list.status_code == 200 and own.json()["patient_id"] == alice
    assert [item["id"] for item in own_list.json()["items"]] == [draft["id"]]
    assert theirs.status_code == missing.status_code == their_list.status_code == cancel.status_code == 403
    assert theirs.headers["content-type"] == PROBLEM and theirs.json()["detail"] == missing.json()["detail"]
    assert alice not in theirs.text
    events = await _audit(orders, "clinical")
    mine = [event for event in events if event[2] in {f"user-{alice}", f"user-{bob}"}]
    assert mine == [
        ("read", "0", f"user-{alice}"), ("search", "0", f"user-{alice}"), ("read", "4", f"user-{bob}"),
        ("read", "4", f"user-{bob}"), ("search", "4", f"user-{bob}"), ("update", "4", f"user-{alice}"),
    ]  # fmt: skip
    assert ("create", "0", "prac-v1a") in events


async def test_charges_are_for_billing_staff_and_the_patient_themself(orders: OrdersApp) -> None:
    alice, bob = f"pat-a-{new_id()}", f"pat-b-{new_id()}"

    async def charges(headers: dict[str, str]) -> int:
        response = await orders.client.get("/v1/billing/charges", params={"patient": alice}, headers=headers)
        return response.status_code

    statuses = [
        await charges(headers)
        for headers in (
            bearer("billing-1", "billing"), patient_token(alice), patient_token(bob),
            bearer("nurse-1", "nurse"), bearer("nobody-1"),
        )
    ]  # fmt: skip
    assert statuses == [200, 200, 403, 403, 403]
    assert [outcome for _, outcome, _ in await _audit(orders, "billing")] == ["0", "0", "4", "4", "4"]


async def test_the_pharmacy_queue_is_refused_to_patients_and_audited_for_pharmacists(
    orders: OrdersApp,
) -> None:
    alice = f"pat-a-{new_id()}"
    draft = await orders.draft(alice)
    await orders.check(draft["id"])
    assert (await orders.sign(draft["id"])).status_code == 200
    await orders.settle()
    entry = await orders.pharmacy_entry(draft["id"])
    assert entry is not None
    as_alice = patient_token(alice)
    read = await orders.client.get(f"/v1/pharmacy/queue/{entry['id']}", headers=as_alice)
    listed = await orders.client.get("/v1/pharmacy/queue", params={"patient": alice}, headers=as_alice)
    verified = await orders.pharmacy(entry["id"], "verify")
    assert read.status_code == listed.status_code == 403 and verified.status_code == 200
    events = await _audit(orders, "pharmacy")
    assert ("search", "0", "pharm-orders-0001") in events and ("update", "0", "pharm-orders-0001") in events
    assert [event for event in events if event[2] == f"user-{alice}"] == [
        ("read", "4", f"user-{alice}"), ("search", "4", f"user-{alice}"),
    ]  # fmt: skip


async def test_no_order_is_returned_when_the_audit_cannot_be_written(orders: OrdersApp) -> None:
    alice = f"pat-a-{new_id()}"
    draft = await orders.draft(alice, dose={"value": "731", "unit": "mg"})
    async with orders.runtime.contexts["clinical"].db.transaction() as conn:
        await conn.execute("ALTER TABLE audit_event RENAME TO audit_event_gone")
    response = await orders.client.get(f"/v1/medication-orders/{draft['id']}", headers=patient_token(alice))
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM
    assert alice not in response.text and "731" not in response.text
