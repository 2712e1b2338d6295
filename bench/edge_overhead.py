"""Edge overhead per request: a bare ASGI app vs the EdgeMiddleware (memory and Redis stores),
called directly (no HTTP), so the figure is the middleware's own cost.

    .venv/bin/python bench/edge_overhead.py [REQUESTS]
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time
from typing import Any

from caremesh.kernel.edge import EdgeMiddleware, settings_from_config


async def bare(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


async def drive(app: Any, n: int) -> float:
    scope = {
        "type": "http", "method": "GET", "path": "/fhir/R4/Patient/1", "scheme": "http", "query_string": b"",
        "headers": [(b"authorization", b"Bearer " + secrets.token_hex(200).encode())],
        "client": ("10.0.0.1", 5555),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    started = time.perf_counter()
    for _ in range(n):
        await app(scope, receive, send)
    return (time.perf_counter() - started) / n * 1e6


async def main(n: int) -> None:
    huge = {"client_rate": 1e5, "client_burst": 10**9}
    memory = EdgeMiddleware(bare, settings=settings_from_config(huge))
    redis_settings = {
        **huge, "rate_limit_store": "redis://127.0.0.1:6379/0",
        "rate_limit_prefix": f"caremesh-bench:{secrets.token_hex(4)}:",
    }  # fmt: skip
    redis = EdgeMiddleware(bare, settings=settings_from_config(redis_settings))
    for name, app in (("bare", bare), ("edge (memory)", memory), ("edge (redis)", redis)):
        print(f"{name:15} {await drive(app, n):8.1f} µs/request")
    await redis.store.aclose()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
