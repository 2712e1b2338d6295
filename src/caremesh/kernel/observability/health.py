"""``/health`` (the process is alive), ``/ready`` (it can do its work) and ``/metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from caremesh.kernel.observability.metrics import REGISTRY

Check = Callable[[], Awaitable[None]]


async def _run(check: Check, limit: float) -> str:
    try:
        await asyncio.wait_for(check(), limit)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        return f"failed: {type(exc).__name__}"
    return "ok"


def health_router(*, service: str, version: str, checks: Callable[[], dict[str, Check]]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service, "version": version}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        named = checks()
        results = await asyncio.gather(*(_run(check, 2.0) for check in named.values()))
        report = dict(zip(named, results, strict=True))
        status = "ready" if all(r == "ok" for r in results) else "not-ready"
        return JSONResponse(
            {"status": status, "service": service, "checks": report},
            status_code=200 if status == "ready" else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router
