"""Span attributes pass an allow-list before any exporter sees them, like log fields do.

Instrumentation (ours or a library's) may put request data on a span: a query string, a SQL
statement with values, an exception message quoting a name. :class:`AllowListSpanProcessor`
wraps the exporting processor and hands it a copy of each finished span that keeps only allowed
attribute keys (events keep only ``exception.type``); dropped keys are named, never their values.
"""

from __future__ import annotations

from opentelemetry.context import Context
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor

ALLOWED_SPAN_ATTRIBUTES = frozenset({
    "http.request.method", "http.route", "http.response.status_code", "http.method", "http.status_code",
    "messaging.system", "messaging.consumer.group.name", "messaging.message.id", "messaging.operation",
    "messaging.destination.name", "caremesh.event.type", "caremesh.module", "caremesh.operation",
    "rpc.system", "rpc.service", "rpc.method", "db.system", "error.type", "exception.type",
    "server.port", "network.protocol.version", "otel.status_code",
})  # fmt: skip
_EVENT_ATTRIBUTES = frozenset({"exception.type", "exception.escaped"})
REDACTED_KEY = "caremesh.redacted"


def _filtered(attributes: object, allowed: frozenset[str]) -> tuple[dict[str, object], list[str]]:
    items = dict(attributes or {})  # type: ignore[call-overload]
    kept = {key: value for key, value in items.items() if key in allowed}
    return kept, sorted(key for key in items if key not in allowed)


def redact(span: ReadableSpan) -> ReadableSpan:
    attributes, dropped = _filtered(span.attributes, ALLOWED_SPAN_ATTRIBUTES)
    if dropped:
        attributes[REDACTED_KEY] = ",".join(dropped)[:500]
    events = [
        Event(event.name, _filtered(event.attributes, _EVENT_ATTRIBUTES)[0], event.timestamp)  # type: ignore[arg-type]
        for event in span.events
    ]
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,  # type: ignore[arg-type]
        events=events,
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class AllowListSpanProcessor(SpanProcessor):
    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.inner.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self.inner.on_end(redact(span))

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
