"""/v1/monitoring/rejected: the dead-letter store of readings, for the care team; replay after a fix."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from caremesh.kernel.errors import InvalidRequest, NotFound
from caremesh.kernel.security.principal import Principal
from caremesh.modules.monitoring.adapters import rejected_sql
from caremesh.modules.monitoring.api.access import require_staff
from caremesh.modules.monitoring.api.representations import rejected_json
from caremesh.modules.monitoring.application.ingest import Ingestion
from caremesh.modules.monitoring.application.replay import replay


class ReplayIn(BaseModel):
    payload: dict[str, Any] | None = None  # a corrected single-reading document in the same format


def _cursor(value: str | None) -> tuple[datetime, str] | None:
    if value is None:
        return None
    at, _, rejected_id = value.partition("~")
    try:
        return datetime.fromisoformat(at), rejected_id
    except ValueError:
        raise InvalidRequest("invalid cursor") from None


def add_rejected_routes(router: APIRouter, ingestion: Ingestion) -> None:
    db = ingestion.db

    @router.get("/v1/monitoring/rejected")
    async def list_rejected(
        status: str | None = Query("open", max_length=20),
        device_id: str | None = Query(None, max_length=64),
        reason: str | None = Query(None, max_length=40),
        cursor: str | None = Query(None, max_length=200),
        limit: int = Query(50, ge=1, le=500),
        _: Principal = Depends(require_staff),
    ) -> dict[str, Any]:
        async with db.read() as conn:
            rows = await rejected_sql.list_rejected(
                conn,
                status=status or None,
                device_id=device_id,
                reason=reason,
                before=_cursor(cursor),
                limit=limit,
            )
        last = rows[-1] if len(rows) == limit else None
        return {"items": [rejected_json(r) for r in rows],
                "next": f"{last.received_at.isoformat()}~{last.id}" if last else None}  # fmt: skip

    @router.get("/v1/monitoring/rejected/{rejected_id}")
    async def get_rejected(rejected_id: str, _: Principal = Depends(require_staff)) -> dict[str, Any]:
        async with db.read() as conn:
            row = await rejected_sql.rejected_by_id(conn, rejected_id)
        if row is None:
            raise NotFound("no such rejected reading")
        return rejected_json(row)

    @router.post("/v1/monitoring/rejected/{rejected_id}/replay")
    async def replay_rejected(
        rejected_id: str, body: ReplayIn | None = None, principal: Principal = Depends(require_staff)
    ) -> dict[str, Any]:
        outcome = await replay(ingestion, rejected_id, principal.subject, body.payload if body else None)
        return outcome.as_json()
