"""A uvicorn app factory for the process-level edge tests: a trivial app behind the real edge,
whose rate-limit store is the Redis named by EDGE_TEST_REDIS (under the key prefix
EDGE_TEST_PREFIX), or the in-process store when that is unset."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from caremesh.kernel.edge import EdgeMiddleware, settings_from_config


async def hello(_: Request) -> JSONResponse:
    return JSONResponse({"pid": os.getpid()})


def create() -> EdgeMiddleware:
    settings = settings_from_config(
        {
            "rate_limit_store": os.environ.get("EDGE_TEST_REDIS", "memory"),
            "rate_limit_prefix": os.environ.get("EDGE_TEST_PREFIX", "caremesh-test:edge:"),
            "client_rate": 0.01,
            "client_burst": 10,
        },
        processes=2,
    )
    return EdgeMiddleware(Starlette(routes=[Route("/hello", hello)]), settings=settings)
