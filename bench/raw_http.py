"""A minimal keep-alive HTTP/1.1 client for load generation on a shared 2-core machine.

httpx spends more CPU per request than the server under test, so a load generator built on it
measures mostly itself. This client writes requests and reads ``Content-Length`` responses on
one connection per worker, with no pooling, redirects or decoding: just enough for the
benchmarks' JSON APIs on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import orjson


@dataclass
class RawResponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> object:
        return orjson.loads(self.content)


class RawClient:
    """One connection; requests on it are sequential (use one client per concurrent worker)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in {"host": f"{host}:{port}", **headers}.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = time.monotonic()

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> RawResponse:
        idle_since, self._last_used = self._last_used, time.monotonic()
        try:
            return await self._exchange(method, path, body, headers)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            # uvicorn closes a keep-alive connection idle for 5 s (e.g. while the benchmark
            # analyses the database): the request never reached it, so open a new one and resend.
            # A connection that was busy a moment ago failing is a real error.
            partial = isinstance(error, asyncio.IncompleteReadError) and bool(error.partial)
            if time.monotonic() - idle_since < 4.0 or partial:
                raise
            await self.aclose()
            return await self._exchange(method, path, body, headers)

    async def _exchange(
        self, method: str, path: str, body: bytes, headers: dict[str, str] | None
    ) -> RawResponse:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = f"{method} {path} HTTP/1.1\r\n{self._fixed}{extra}content-length: {len(body)}\r\n\r\n"
        self._writer.write(head.encode("latin-1") + body)
        assert self._reader is not None
        status_line, *lines = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        response = RawResponse(int(status_line.split(" ", 2)[1]))
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                response.headers[name.strip().lower()] = value.strip()
        length = int(response.headers.get("content-length", "0"))
        response.content = await self._reader.readexactly(length) if length else b""
        return response

    async def get(self, path: str, headers: dict[str, str] | None = None) -> RawResponse:
        return await self.request("GET", path, headers=headers)

    async def post(self, path: str, *, content: bytes, headers: dict[str, str] | None = None) -> RawResponse:
        return await self.request("POST", path, content, headers)

    async def put(self, path: str, *, content: bytes, headers: dict[str, str] | None = None) -> RawResponse:
        return await self.request("PUT", path, content, headers)

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
            self._writer = None
