"""The double-dose scenario under injected faults: no duplicate pharmacy order, no lost order, and
every saga complete or fully compensated (randomized trials; see orders_fault_harness)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from caremesh.kernel.ids import new_id

from .orders_fault_harness import DOUBLE, Platform, _bearer, platform, trials

pytestmark = pytest.mark.fault

DRAFT = {
    "encounter_id": "enc-fault", "medication": {"code": "723"}, "dose": {"value": "250", "unit": "mg"},
    "frequency": "BID", "route": "oral", "duration_days": 5,
}  # fmt: skip
ENDINGS = ("complete", "cancel-signed", "cancel-verified", "cancel-dispensed", "reject")


@pytest.fixture(autouse=True)
def cds_double(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAREMESH_EXTRA_MODULES", DOUBLE)
    monkeypatch.setenv("CAREMESH_TEST_CDS_MODE", str(tmp_path / "cds-mode"))


async def _trial(p: Platform, pharmacist: dict[str, str]) -> tuple[str, str, str]:
    rng = p.rng
    patient = f"pat-{new_id()}"
    draft = (await p.post("/v1/medication-orders", {"patient_id": patient, **DRAFT})).json()
    order_id = draft["id"]
    if rng.random() < 0.7:
        await p.post(f"/v1/medication-orders/{order_id}/check")
    concurrent = rng.choice([1, 1, 2, 3])
    signed = await p.sign_until_answered(order_id, lose_first=rng.random() < 0.5, concurrent=concurrent)
    assert signed.status_code == 200, signed.text
    await p.settle()
    if rng.random() < 0.3:
        await p.redeliver("pharmacy", "order-intake", "clinical", "clinical.MedicationOrderSigned", order_id)
    ending = rng.choice(ENDINGS)
    entry = await p.client.get("/v1/pharmacy/queue", params={"order_id": order_id}, headers=pharmacist)
    [item] = entry.json()["items"]  # not lost, not doubled
    await _drive(p, order_id, item["id"], ending, pharmacist)
    await p.settle()
    if rng.random() < 0.3:
        await p.redeliver("billing", "charge-capture", "pharmacy", "pharmacy.OrderDispensed", order_id)
        await p.settle()
    order = (await p.client.get(f"/v1/medication-orders/{order_id}")).json()
    return order_id, ending, order["saga"]["state"]


async def _drive(p: Platform, order_id: str, entry_id: str, ending: str, pharmacist: dict[str, str]) -> None:
    steps = {"complete": 2, "cancel-signed": 0, "cancel-verified": 1, "cancel-dispensed": 2, "reject": 0}[
        ending
    ]
    for action in ("verify", "dispense")[:steps]:
        for _ in range(p.rng.choice([1, 1, 2])):  # a repeated click is a no-op
            response = await p.post(f"/v1/pharmacy/queue/{entry_id}/{action}", None, pharmacist)
            assert response.status_code == 200, response.text
        await p.settle()
    if ending == "reject":
        response = await p.post(
            f"/v1/pharmacy/queue/{entry_id}/reject", {"reason": "fault trial"}, pharmacist
        )
        assert response.status_code == 200, response.text
    elif ending.startswith("cancel"):
        response = await p.post(f"/v1/medication-orders/{order_id}/cancel", {"reason": "fault trial"})
        assert response.status_code == 200, response.text


async def _check_invariants(p: Platform, results: list[tuple[str, str, str]]) -> None:
    for order_id, ending, state in results:
        expected = "completed" if ending == "complete" else "compensated"
        assert state == expected, (order_id, ending, state)
        count = "SELECT COUNT(*) FROM {table} WHERE order_id = $1"
        assert await p.scalar("pharmacy", count.format(table="pharmacy_orders"), order_id) == 1
        posted = await p.scalar(
            "billing", "SELECT COUNT(*) FROM charges WHERE order_id = $1 AND status = 'posted'", order_id
        )
        assert posted == (1 if ending == "complete" else 0), (order_id, ending)
    signed_events = await p.scalar(
        "clinical", "SELECT COUNT(*) FROM outbox WHERE event_type = 'clinical.MedicationOrderSigned'"
    )
    assert signed_events == len(results)


async def test_double_dose_trials_under_faults(database_url: str) -> None:
    total = trials()
    async with platform(database_url, seed=5) as p:
        pharmacist = _bearer("pharmacist")
        results: list[tuple[str, str, str]] = []
        for start in range(0, total, 4):  # a few trials at a time: their requests interleave
            batch = await asyncio.gather(*(_trial(p, pharmacist) for _ in range(min(4, total - start))))
            results.extend(batch)
        await _check_invariants(p, results)
    assert len(results) == total
    assert p.stats.get("response-lost", 0) > 0 and p.stats.get("duplicate-delivery", 0) > 0
