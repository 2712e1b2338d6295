"""CDS slow or down: signing still completes in budget, flagged for manual verification, re-checked later."""

from __future__ import annotations

import time
from pathlib import Path

from orders_harness import AMOXICILLIN, OrdersApp, allergy, order_entry
from tests.fault.orders_cds_double import OVERRIDES

from caremesh.kernel.ids import new_id
from caremesh.kernel.observability.metrics import REGISTRY
from caremesh.modules.clinical.application.medication_order_recheck import recheck_pending

BUDGET_SECONDS = 1.0  # two bounded CDS attempts (300 ms each) plus the writes


def _degraded_total() -> float:
    return REGISTRY.get_sample_value("caremesh_medication_orders_degraded_total") or 0.0


async def test_a_slow_cds_flags_the_order_and_the_worker_rechecks_it(
    orders: OrdersApp, cds_mode: Path
) -> None:
    patient = f"pat-{new_id()}"
    await orders.fhir_create(allergy(patient, AMOXICILLIN))
    draft = await orders.draft(patient)
    cds_mode.write_text("slow")
    before = _degraded_total()

    started = time.perf_counter()
    checked = await orders.check(draft["id"])
    assert checked["interaction_check"] == "unavailable"
    assert checked["interaction_check_note"] == "interaction check unavailable — verify manually"
    signed = await orders.sign(draft["id"])
    elapsed = time.perf_counter() - started
    assert signed.status_code == 200, signed.text
    assert signed.json()["interaction_check"] == "unavailable"
    assert elapsed < 2 * BUDGET_SECONDS, elapsed
    assert _degraded_total() == before + 1
    await orders.settle()
    entry = await orders.pharmacy_entry(draft["id"])
    assert entry is not None
    assert entry["interaction_check"] == "unavailable"
    assert entry["warning"] == "interaction check unavailable — verify manually"
    refused = await orders.pharmacy(entry["id"], "verify")
    assert refused.status_code == 409  # the pharmacist must confirm the manual check
    assert "verify manually" in refused.json()["detail"]

    entry_deps = order_entry(orders.runtime)
    assert await recheck_pending(entry_deps) == 0  # still down: nothing changes
    cds_mode.write_text("ok")
    assert await recheck_pending(entry_deps) == 1
    await orders.settle()
    order = await orders.order(draft["id"])
    assert order["interaction_check"] == "completed"
    assert [alert["kind"] for alert in order["alerts"]] == ["drug-allergy"]
    entry = await orders.pharmacy_entry(draft["id"])
    assert entry is not None and entry["interaction_check"] == "completed" and entry["warning"] is None
    assert entry["alerts"][0]["kind"] == "drug-allergy"  # shown to the pharmacist before verifying


async def test_a_degraded_order_is_verified_after_a_confirmed_manual_check(
    orders: OrdersApp, cds_mode: Path
) -> None:
    cds_mode.write_text("down")
    draft = await orders.draft(f"pat-{new_id()}")
    assert (await orders.sign(draft["id"])).json()["interaction_check"] == "unavailable"
    await orders.settle()
    entry = await orders.pharmacy_entry(draft["id"])
    assert entry is not None
    confirmed = await orders.pharmacy(entry["id"], "verify", manual_check_confirmed=True)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "verified"


async def test_a_down_cds_opens_the_breaker_and_signing_stays_fast(orders: OrdersApp, cds_mode: Path) -> None:
    cds_mode.write_text("down")
    timings = []
    for _ in range(6):
        draft = await orders.draft(f"pat-{new_id()}")
        started = time.perf_counter()
        signed = await orders.sign(draft["id"])  # never checked: sign runs the check itself
        timings.append(time.perf_counter() - started)
        assert signed.status_code == 200, signed.text
        assert signed.json()["interaction_check"] == "unavailable"
    assert max(timings) < BUDGET_SECONDS


async def test_overrides_are_recorded_with_cds_once_it_answers(orders: OrdersApp, cds_mode: Path) -> None:
    patient = f"pat-{new_id()}"
    await orders.fhir_create(allergy(patient, AMOXICILLIN))
    draft = await orders.draft(patient)
    [card] = (await orders.check(draft["id"]))["cards"]
    override = {
        "rule_id": card["rule_id"],
        "reason_code": "benefit-outweighs-risk",
        "comment": "tolerated before",
    }
    cds_mode.write_text("down")
    signed = await orders.sign(draft["id"], overrides=[override])
    assert signed.status_code == 200, signed.text
    entry_deps = order_entry(orders.runtime)
    await recheck_pending(entry_deps)
    assert not [
        record for record in OVERRIDES if record.rule_id == card["rule_id"] and record.patient_id == patient
    ]
    cds_mode.write_text("ok")
    assert await recheck_pending(entry_deps) == 1
    [record] = [record for record in OVERRIDES if record.patient_id == patient]
    assert record.reason_code == "benefit-outweighs-risk" and record.card_uuid == card["card_uuid"]
