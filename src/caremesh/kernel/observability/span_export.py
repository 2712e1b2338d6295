"""Export finished spans as JSON lines to a file (the embedded topology's trace sink)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult


class JsonLinesSpanExporter(SpanExporter):
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [span.to_json(indent=None) + "\n" for span in spans]
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.writelines(lines)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None
