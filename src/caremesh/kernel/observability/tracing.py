"""OpenTelemetry tracing: W3C traceparent over HTTP and inside event envelopes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.trace import SpanKind

if TYPE_CHECKING:
    from caremesh.kernel.events.envelope import Envelope

_tracer = trace.get_tracer("caremesh")


def current_trace_headers() -> dict[str, str]:
    """The W3C trace context of the current span, to carry inside an event or an HTTP call."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier


@contextmanager
def consumer_span(consumer: str, envelope: Envelope) -> Iterator[trace.Span]:
    context = extract(envelope.headers)
    with _tracer.start_as_current_span(
        f"consume {envelope.type}",
        context=context,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "caremesh",
            "messaging.consumer.group.name": consumer,
            "messaging.message.id": envelope.id,
            "caremesh.event.type": envelope.type,
        },
    ) as span:
        yield span


def configure_tracing(*, service: str, version: str) -> None:
    """Install a tracer provider once per process.

    Spans are always created (trace ids reach logs and events); they are exported over OTLP when
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, or as JSON lines to ``CAREMESH_TRACE_FILE``.
    """
    import os

    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    # Exporters see spans only through the attribute allow-list (no PHI in traces).
    from caremesh.kernel.observability.span_filter import AllowListSpanProcessor

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service, "service.version": version}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(AllowListSpanProcessor(BatchSpanProcessor(OTLPSpanExporter())))
    trace_file = os.environ.get("CAREMESH_TRACE_FILE")
    if trace_file:
        from caremesh.kernel.observability.span_export import JsonLinesSpanExporter

        provider.add_span_processor(AllowListSpanProcessor(SimpleSpanProcessor(JsonLinesSpanExporter(trace_file))))
    trace.set_tracer_provider(provider)
