"""Seeding the default templates into the database once per process, before they are needed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Database
from caremesh.modules.notify.application.ports import TemplateStore
from caremesh.modules.notify.domain.templates import MessageTemplate


class TemplateSeeder:
    def __init__(
        self,
        db: Database,
        store: TemplateStore,
        defaults: Callable[[], list[MessageTemplate]],
        *,
        clock: Clock = utcnow,
    ) -> None:
        self._db = db
        self._store = store
        self._defaults = defaults
        self._clock = clock
        self._done = False
        self._lock = asyncio.Lock()

    async def ensure(self) -> int:
        """Seed (idempotently) unless already done by this process; return the rows changed now."""
        if self._done:
            return 0
        async with self._lock:
            if self._done:
                return 0
            async with self._db.transaction() as conn:
                changed = await self._store.seed(conn, self._defaults(), now=self._clock())
            self._done = True
            return changed
