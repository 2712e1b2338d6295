"""Seams of the monitoring pipeline that other parts of the module plug into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from caremesh.kernel.db.base import Connection
from caremesh.modules.monitoring.domain.reading import Reading


class ReadingsObserver(Protocol):
    """Called inside the transaction that stores accepted readings (e.g. alert evaluation).

    Whatever the observer writes on ``conn`` commits with the readings or not at all; an
    exception rolls the whole batch back, so observers must not fail on valid readings.
    """

    async def on_accepted(self, conn: Connection, readings: Sequence[Reading]) -> None: ...


@dataclass(frozen=True)
class LatestValue:
    metric: str
    value: float
    measured_at: datetime
    reading_id: str
    device_id: str
    flags: tuple[str, ...] = ()


class LatestCache(Protocol):
    """The latest value of each metric per patient; a patient is cached whole or not at all."""

    async def get(self, patient_id: str) -> list[LatestValue] | None:
        """The cached latest values, or ``None`` when the patient is not cached (ask the store)."""
        ...

    async def fill(self, patient_id: str, values: Sequence[LatestValue]) -> None:
        """Cache ``values`` as the complete latest set of the patient (newer cached values win)."""
        ...

    async def update(self, patient_id: str, values: Sequence[LatestValue]) -> None:
        """Newly stored values; applied only to patients cached already, and only if newer."""
        ...

    async def close(self) -> None: ...
