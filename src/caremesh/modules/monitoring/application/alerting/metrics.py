"""Business metrics of alerting; labelled by severity, rule category or CPT code, never by patient."""

from __future__ import annotations

from prometheus_client import Histogram

from caremesh.kernel.observability.metrics import REGISTRY, business_counter

ALERTS_RAISED = business_counter("monitoring_alerts_raised", "Alerts raised, by severity", ["severity"])
ALERTS_HELD_BY_RATE_CAP = business_counter(
    "monitoring_alerts_rate_capped",
    "Alerts created without notifying anyone (per-patient rate cap)",
    ["severity"],
)
ALERTS_ESCALATED = business_counter(
    "monitoring_alerts_escalated", "Alert escalations to the next care-team member"
)
ESCALATIONS_EXHAUSTED = business_counter(
    "monitoring_alert_escalations_exhausted",
    "Unacknowledged alerts with nobody left on the care team to tell",
)
RPM_SERVICES_EARNED = business_counter("monitoring_rpm_services_earned", "RPM service units earned", ["cpt"])


def _histogram() -> Histogram:
    name = "caremesh_monitoring_alert_evaluation_seconds"
    existing = REGISTRY._names_to_collectors.get(name)
    if isinstance(existing, Histogram):
        return existing
    return Histogram(
        name,
        "Alert evaluation time per batch of accepted readings (inside the storing transaction)",
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        registry=REGISTRY,
    )


EVALUATION_SECONDS = _histogram()
