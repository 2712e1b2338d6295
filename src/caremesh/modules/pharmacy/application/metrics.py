"""Business counters of the pharmacy (outcomes, never ids)."""

from __future__ import annotations

from caremesh.kernel.observability.metrics import business_counter

QUEUED_ORDERS = business_counter(
    "pharmacy_orders_queued",
    "Orders queued for verification, by interaction check outcome",
    ["interaction_check"],
)
PHARMACY_DECISIONS = business_counter(
    "pharmacy_decisions", "Pharmacist decisions and dispenses", ["decision"]
)
