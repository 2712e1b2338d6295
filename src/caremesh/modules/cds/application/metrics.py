"""Business counters of the cds module; labelled by hook, kind and indicator only (never by patient)."""

from __future__ import annotations

from caremesh.kernel.observability.metrics import business_counter

CHECKS = business_counter("cds_checks", "Medication-safety checks run, by hook", ["hook"])
CARDS = business_counter(
    "cds_cards",
    "Cards returned, by kind, indicator and whether suppressed",
    ["kind", "indicator", "suppressed"],
)
UNCHECKED = business_counter(
    "cds_unrecognized_items", "Medications or allergies the knowledge could not map, by role", ["role"]
)
OVERRIDES = business_counter("cds_overrides", "Card overrides recorded (first report per card)", [])
STORE_FAILURES = business_counter(
    "cds_card_store_failures", "Checks answered without suppression because the card store failed", []
)
