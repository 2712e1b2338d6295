"""Business counters of the notify module; labelled by channel only (never by patient)."""

from __future__ import annotations

from caremesh.kernel.observability.metrics import business_counter

NOTIFICATIONS_SENT = business_counter(
    "notifications_sent", "Notifications accepted by a provider, by channel", ["channel"]
)
NOTIFICATIONS_FAILED = business_counter(
    "notifications_failed", "Notifications given up on (permanent error or too many attempts)", ["channel"]
)
NOTIFICATIONS_SKIPPED = business_counter(
    "notifications_skipped",
    "Notifications not sent by rule (opt-out, no contact point, expired)",
    ["channel"],
)
NOTIFICATIONS_RETRIED = business_counter(
    "notifications_retried", "Delivery attempts that failed transiently and were rescheduled", ["channel"]
)
