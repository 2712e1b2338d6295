"""Never signed against stale allergies: the medication-context version is compared at signing."""

from __future__ import annotations

import asyncio

from orders_harness import AMOXICILLIN, OrdersApp, allergy

from caremesh.kernel.ids import new_id


async def _version(orders: OrdersApp, patient: str) -> int:
    return await orders.count(
        "clinical", "SELECT COALESCE(MAX(version), 0) FROM medication_context WHERE patient_id = $1", patient
    )


async def test_allergy_writes_bump_the_version_and_other_writes_do_not(orders: OrdersApp) -> None:
    patient = f"pat-{new_id()}"
    assert await _version(orders, patient) == 0
    await orders.fhir_create(allergy(patient, AMOXICILLIN))
    assert await _version(orders, patient) == 1
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{patient}"},
    }
    await orders.fhir_create(observation)
    assert await _version(orders, patient) == 1


async def test_the_version_bump_rolls_back_with_its_write(orders: OrdersApp) -> None:
    """The listener runs inside the write transaction: a failed transaction Bundle bumps nothing."""
    patient = f"pat-{new_id()}"
    stored = await orders.client.put(
        f"/fhir/R4/Patient/{patient}", json={"resourceType": "Patient", "id": patient}
    )
    assert stored.status_code == 201, stored.text
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": allergy(patient, AMOXICILLIN),
                "request": {"method": "POST", "url": "AllergyIntolerance"},
            },
            {
                "resource": {"resourceType": "Patient", "id": "nobody"},
                "request": {"method": "PUT", "url": "Patient/nobody", "ifMatch": 'W/"7"'},
            },
        ],
    }
    response = await orders.client.post("/fhir/R4", json=bundle)
    assert response.status_code == 412, response.text  # POSTs run before PUTs: the allergy was written
    assert await _version(orders, patient) == 0


async def test_an_allergy_added_after_the_check_forces_a_recheck_and_a_refusal(orders: OrdersApp) -> None:
    patient = f"pat-{new_id()}"
    draft = await orders.draft(patient)
    assert (await orders.check(draft["id"]))["cards"] == []
    await orders.fhir_create(allergy(patient, AMOXICILLIN))  # committed before the signature

    refused = await orders.sign(draft["id"])
    assert refused.status_code == 409, refused.text
    [alert] = refused.json()["alerts"]
    assert alert["kind"] == "drug-allergy" and alert["indicator"] in ("warning", "critical")
    assert (await orders.order(draft["id"]))["status"] == "checked"

    # The prescriber saw the alert now; signing needs an override reason for it.
    without = await orders.sign(draft["id"])
    assert without.status_code == 400
    assert without.json()["missing_overrides"][0]["rule_id"] == alert["rule_id"]
    override = {"rule_id": alert["rule_id"], "reason_code": "benefit-outweighs-risk"}
    signed = await orders.sign(draft["id"], overrides=[override])
    assert signed.status_code == 200, signed.text
    [kept] = signed.json()["alerts"]
    assert kept["override"]["reason_code"] == "benefit-outweighs-risk"
    await orders.settle()
    entry = await orders.pharmacy_entry(draft["id"])
    assert entry is not None and entry["alerts"][0]["override_reason"] == "benefit-outweighs-risk"


async def test_an_allergy_racing_the_signature_is_never_missed(orders: OrdersApp) -> None:
    """Concurrent allergy writes and signatures: a signed order's check saw every earlier allergy."""
    for _ in range(8):
        patient = f"pat-{new_id()}"
        draft = await orders.draft(patient)
        await orders.check(draft["id"])
        sign, written = await asyncio.gather(
            orders.sign(draft["id"]), orders.fhir_create(allergy(patient, AMOXICILLIN))
        )
        assert sign.status_code in (200, 409), sign.text
        if sign.status_code == 409:
            continue
        async with orders.runtime.contexts["clinical"].db.read() as conn:
            allergy_version = await conn.fetchval(
                "SELECT version FROM medication_context_changes WHERE patient_id = $1 AND resource_id = $2",
                patient,
                written["id"],
            )
        # Signed without seeing the allergy only if the allergy committed after the signature.
        assert allergy_version > sign.json()["checked_context_version"]
