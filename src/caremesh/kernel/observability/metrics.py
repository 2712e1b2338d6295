"""Prometheus metrics: RED per HTTP route and per event handler, plus business counters.

Label values are route templates, module and event-type names only: never identifiers or PHI.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "caremesh_http_requests_total",
    "HTTP requests by route template, method and status class",
    ["service", "method", "route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "caremesh_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["service", "method", "route"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
EVENTS_PUBLISHED = Counter(
    "caremesh_events_published_total",
    "Events relayed from a module's outbox to the bus",
    ["module"],
    registry=REGISTRY,
)
EVENTS_HANDLED = Counter(
    "caremesh_events_handled_total",
    "Events seen by a consumer, by outcome (ok, duplicate, dead_lettered)",
    ["consumer", "event_type", "outcome"],
    registry=REGISTRY,
)
EVENT_HANDLER_SECONDS = Histogram(
    "caremesh_event_handler_duration_seconds",
    "Time spent in an event handler",
    ["consumer", "event_type"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
REMOTE_CALLS = Counter(
    "caremesh_remote_calls_total",
    "Calls to another module over HTTP, by outcome",
    ["target", "operation", "outcome"],
    registry=REGISTRY,
)
REMOTE_CALL_SECONDS = Histogram(
    "caremesh_remote_call_duration_seconds",
    "Latency of calls to another module over HTTP",
    ["target", "operation"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)


def business_counter(name: str, documentation: str, labels: list[str] | None = None) -> Counter:
    """A module's business counter (e.g. appointments booked), registered once per process."""
    full_name = f"caremesh_{name}"
    existing = REGISTRY._names_to_collectors.get(f"{full_name}_total") or REGISTRY._names_to_collectors.get(
        full_name
    )
    if isinstance(existing, Counter):
        return existing
    return Counter(full_name, documentation, labels or [], registry=REGISTRY)
