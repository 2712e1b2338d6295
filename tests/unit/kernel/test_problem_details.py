"""Problem details (RFC 9457) from kernel errors: standard members are never overridden."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from caremesh.kernel.errors import Conflict
from caremesh.kernel.http import PROBLEM, install_error_handlers


async def test_details_named_like_standard_members_do_not_break_the_response() -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/alert")
    async def alert() -> None:
        raise Conflict("the alert is already resolved", details={"status": "resolved", "alert": "a-1"})

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/alert")

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == 409
    assert body["detail"] == "the alert is already resolved"
    assert body["alert"] == "a-1"
