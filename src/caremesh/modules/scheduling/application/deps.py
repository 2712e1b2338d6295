"""What the scheduling use cases are wired with; built once by the module's ``register``."""

from __future__ import annotations

from dataclasses import dataclass

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Database
from caremesh.kernel.events.outbox import Outbox
from caremesh.modules.scheduling.application.ports import SchedulingStore


@dataclass(frozen=True)
class SchedulingDeps:
    db: Database
    outbox: Outbox
    store: SchedulingStore
    clock: Clock = utcnow
