"""The probe's published language: one event per produced row."""

from __future__ import annotations

from typing import ClassVar

from caremesh.contracts.base import Event

AGGREGATES = 10


class ProbeProduced(Event):
    event_type: ClassVar[str] = "probe_producer.Produced"
    n: int

    def aggregate_id(self) -> str:
        return f"probe-{self.n % AGGREGATES}"
