"""What the cds use cases are wired with; built once by the module's ``register``."""

from __future__ import annotations

from dataclasses import dataclass

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Database
from caremesh.modules.cds.application.ports import CardStore
from caremesh.modules.cds.domain.knowledge import Knowledge


@dataclass(frozen=True)
class CdsDeps:
    db: Database
    store: CardStore
    knowledge: Knowledge
    clock: Clock = utcnow
