"""A lazily created httpx client per provider adapter, with explicit timeouts."""

from __future__ import annotations

import httpx


class LazyHttpClient:
    """Created on first use inside the running event loop; closed when the worker stops."""

    def __init__(self, *, timeout: float) -> None:
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._client: httpx.AsyncClient | None = None

    def get(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
