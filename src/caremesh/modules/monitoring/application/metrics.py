"""Business counters of the monitoring module (no identifiers in labels)."""

from __future__ import annotations

from caremesh.kernel.observability.metrics import business_counter

READINGS = business_counter(
    "monitoring_readings", "Readings received, by outcome (stored, duplicate, rejected)", ["outcome"]
)
REJECTIONS = business_counter("monitoring_rejections", "Readings dead-lettered, by reason code", ["reason"])
REPLAYS = business_counter("monitoring_replays", "Dead-lettered readings replayed, by outcome", ["outcome"])
