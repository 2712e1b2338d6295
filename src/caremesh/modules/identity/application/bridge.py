"""authlib's server is synchronous; caremesh storage is asynchronous.

An authlib call runs in a worker thread (``call``); whenever it needs storage it hands a
coroutine back to the event loop (``run``) and waits for the result. The loop stays free for
other requests while a token request waits on the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
STORAGE_TIMEOUT_SECONDS = 30.0


class LoopBridge:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        self._loop = asyncio.get_running_loop()
        return await asyncio.to_thread(function, *args)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("storage used outside LoopBridge.call")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(STORAGE_TIMEOUT_SECONDS)
