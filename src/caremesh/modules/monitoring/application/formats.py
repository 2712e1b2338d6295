"""Payload formats are plugins: entry-point group ``caremesh.monitoring.formats`` plus the built-ins.

A format turns a decoded JSON document into a :class:`ParsedBatch`; the pipeline never looks at
the source format again, so adding a vendor format needs no change anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, Protocol

import structlog

from caremesh.modules.monitoring.domain.candidate import ParsedBatch

FORMATS_GROUP = "caremesh.monitoring.formats"
log = structlog.get_logger(__name__)


class FormatError(ValueError):
    """The document as a whole cannot be read in this format."""


class ReadingFormat(Protocol):
    name: str

    def parse(self, document: Any) -> ParsedBatch:
        """Readings of ``document`` (decoded JSON); raise :class:`FormatError` if unreadable."""
        ...

    def single(self, document: Any, entry: Mapping[str, Any]) -> Mapping[str, Any]:
        """A document holding only ``entry`` (one reading of ``document``), for the dead-letter store."""
        ...


def load_plugins(group: str, built_ins: Mapping[str, Any]) -> dict[str, Any]:
    """Built-ins, overridden or extended by installed entry points of ``group`` (by name)."""
    found = dict(built_ins)
    for point in entry_points(group=group):
        try:
            plugin = point.load()
        except Exception as exc:  # a broken plugin must not take ingestion down
            log.warning("monitoring plugin failed to load", target=point.name, error=type(exc).__name__)
            continue
        found[point.name] = plugin() if isinstance(plugin, type) else plugin
    return found
