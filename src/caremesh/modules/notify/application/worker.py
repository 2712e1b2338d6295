"""The polling loop around a delivery pass: wakes on new work or after the poll interval."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

from caremesh.modules.notify.application.delivery import DeliveryService

log = structlog.get_logger(__name__)


class DeliveryWorker:
    def __init__(
        self,
        service: DeliveryService,
        *,
        kind: str,
        batch_size: int,
        poll_interval: float,
        prepare: Callable[[], Awaitable[object]],
        max_backoff: float = 30.0,
    ) -> None:
        self._service = service
        self._kind = kind
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._prepare = prepare
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        backoff = self._poll_interval
        while True:
            # Cleared before the pass, so work committed during it still wakes the next one.
            self._wake.clear()
            try:
                await self._prepare()
                claimed = await self._service.run_once(kind=self._kind, limit=self._batch_size)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery pass failed; retrying", task=self._kind, error=type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            backoff = self._poll_interval
            if claimed < self._batch_size:
                await self._idle()

    async def _idle(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that
        # arrives as the wake-up fires, and the worker would then outlive Runtime.stop().
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._poll_interval):
                await self._wake.wait()
