"""The order saga end to end in one process.

draft → check → sign → pharmacy queued → verified → dispensed → charge captured."""

from __future__ import annotations

from orders_harness import AMOXICILLIN, OrdersApp

from caremesh.kernel.ids import new_id


async def test_an_order_goes_from_draft_to_a_captured_charge(orders: OrdersApp) -> None:
    patient = f"pat-{new_id()}"
    draft = await orders.draft(patient)
    assert draft["status"] == "draft"
    assert draft["saga"]["state"] == "not-started"

    checked = await orders.check(draft["id"])
    assert checked["status"] == "checked"
    assert checked["interaction_check"] == "completed"
    assert checked["cards"] == []

    signed = await orders.sign(draft["id"])
    assert signed.status_code == 200, signed.text
    assert signed.json()["status"] == "signed"
    await orders.settle()

    entry = await orders.pharmacy_entry(draft["id"])
    assert entry is not None and entry["status"] == "queued"
    assert entry["interaction_check"] == "completed" and entry["warning"] is None
    assert (await orders.pharmacy(entry["id"], "verify")).status_code == 200
    dispensed = await orders.pharmacy(entry["id"], "dispense")
    assert dispensed.status_code == 200, dispensed.text
    await orders.settle()

    [charge] = await orders.charges(patient)
    assert charge["status"] == "posted"
    assert charge["code"] == AMOXICILLIN and charge["quantity"] == 21  # TID for 7 days
    assert charge["amount"] == "7.35"  # 21 x 0.35 from the price list
    order = await orders.order(draft["id"])
    assert order["status"] == "dispensed"
    assert order["saga"]["state"] == "completed"
    steps = {step["step"]: step for step in order["saga"]["steps"]}
    for name in ("signed", "pharmacy-queued", "verified", "dispensed", "charge-captured"):
        assert steps[name]["status"] == "done" and steps[name]["at"] is not None


async def test_the_order_is_a_fhir_medication_request(orders: OrdersApp) -> None:
    patient = f"pat-{new_id()}"
    draft = await orders.draft(patient)
    resource = (await orders.client.get(f"/fhir/R4/MedicationRequest/{draft['id']}")).json()
    assert resource["status"] == "draft" and resource["subject"]["reference"] == f"Patient/{patient}"
    await orders.check(draft["id"])
    assert (await orders.sign(draft["id"])).status_code == 200
    found = await orders.client.get(
        "/fhir/R4/MedicationRequest", params={"patient": patient, "status": "active"}
    )
    assert [entry["resource"]["id"] for entry in found.json()["entry"]] == [draft["id"]]


async def test_sign_without_idempotency_key_is_refused(orders: OrdersApp) -> None:
    draft = await orders.draft(f"pat-{new_id()}")
    await orders.check(draft["id"])
    response = await orders.client.post(f"/v1/medication-orders/{draft['id']}/sign", json={})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_invalid_drafts_are_400_or_422(orders: OrdersApp) -> None:
    bad = {"patient_id": "p1", "medication": {"code": "abc"}, "dose": {"value": "5", "unit": "mg"},
           "frequency": "TID", "route": "oral", "duration_days": 7}  # fmt: skip
    assert (await orders.client.post("/v1/medication-orders", json=bad)).status_code == 422
    assert (await orders.client.get("/v1/medication-orders/nope")).status_code == 404
