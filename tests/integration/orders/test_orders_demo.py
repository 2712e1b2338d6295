"""The demo patients' draft orders raise the alert kind each was made for (against the real cds)."""

from __future__ import annotations

import pytest
from orders_harness import OrdersApp, real_cds_exists

from caremesh.modules.clinical.application.medication_orders_demo import load_orders_demo
from caremesh.modules.clinical.application.medication_orders_setup import order_entry_deps
from caremesh.modules.clinical.module import build_engine


async def test_each_demo_order_raises_its_alert_kind(orders: OrdersApp) -> None:
    if not real_cds_exists():
        pytest.skip("needs the cds module's knowledge")
    ctx = orders.runtime.contexts["clinical"]
    summary = await load_orders_demo(order_entry_deps(ctx, build_engine(ctx)))
    demos = summary["medication_order_demos"]
    assert len(demos) == 5
    for patient_id, demo in demos.items():
        checked = await orders.check(demo["order"])
        kinds = {card["kind"] for card in checked["cards"]}
        if demo["expected_alert"] == "none":
            assert not kinds, (patient_id, checked["cards"])
        else:
            assert demo["expected_alert"] in kinds, (patient_id, checked["cards"])
    again = await load_orders_demo(order_entry_deps(ctx, build_engine(ctx)))
    assert again["medication_order_demos"] == {}  # idempotent
