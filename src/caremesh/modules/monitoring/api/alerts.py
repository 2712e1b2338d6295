"""/v1/monitoring/alerts: the care team's alert list, one alert with its history, acknowledge, resolve."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Database
from caremesh.kernel.security.principal import Principal
from caremesh.modules.monitoring.adapters.alerting import alert_views_sql
from caremesh.modules.monitoring.api.alerts_schemas import (
    IDENTIFIER,
    NoteIn,
    alert_json,
    cursor_of,
    history_json,
    parse_cursor,
)
from caremesh.modules.monitoring.api.care_team_access import require_staff
from caremesh.modules.monitoring.application.alerting import lifecycle
from caremesh.modules.monitoring.application.alerting.records import AlertFilter
from caremesh.modules.monitoring.domain.alert import ACTIVE_STATUSES, SEVERITIES, STATUSES

AlertId = Annotated[str, Path(pattern=IDENTIFIER)]
Status = Annotated[str, Query(pattern="^(" + "|".join(STATUSES) + ")$")]


def _note(body: NoteIn | None) -> str | None:
    return None if body is None else body.note


def alerts_router(db: Database, clock: Clock) -> APIRouter:
    router = APIRouter(
        prefix="/v1/monitoring/alerts", tags=["monitoring"], dependencies=[Depends(require_staff)]
    )

    @router.get("")
    async def list_alerts(
        status: list[Status] | None = Query(None, description="default: open and acknowledged"),
        patient_id: str | None = Query(None, pattern=IDENTIFIER),
        severity: str | None = Query(None, pattern="^(" + "|".join(SEVERITIES) + ")$"),
        rule_id: str | None = Query(None, max_length=64),
        category: str | None = Query(None, pattern="^(threshold|trend|drift|missing-data)$"),
        limit: int = Query(50, ge=1, le=200),
        cursor: str | None = Query(None, max_length=512),
    ) -> dict[str, Any]:
        query = AlertFilter(
            statuses=tuple(status or ACTIVE_STATUSES), patient_id=patient_id, severity=severity,
            rule_id=rule_id, category=category, limit=limit + 1, before=parse_cursor(cursor),
        )  # fmt: skip
        async with db.read() as conn:
            found = await alert_views_sql.list_alerts(conn, query)
        page = found[:limit]
        more = len(found) > limit
        return {"items": [alert_json(a) for a in page], "next_cursor": cursor_of(page[-1]) if more else None}

    @router.get("/{alert_id}")
    async def get_alert(alert_id: AlertId) -> dict[str, Any]:
        async with db.read() as conn:
            alert = await lifecycle.require_alert(conn, alert_id)
            steps = await alert_views_sql.history(conn, alert_id)
        return {**alert_json(alert), "history": [history_json(s) for s in steps]}

    @router.post("/{alert_id}/acknowledge")
    async def acknowledge(
        alert_id: AlertId, body: NoteIn | None = Body(None), principal: Principal = Depends(require_staff)
    ) -> dict[str, Any]:
        async with db.transaction() as conn:
            alert = await lifecycle.acknowledge(conn, alert_id, principal.subject, _note(body), clock())
        return alert_json(alert)

    @router.post("/{alert_id}/resolve")
    async def resolve(
        alert_id: AlertId, body: NoteIn | None = Body(None), principal: Principal = Depends(require_staff)
    ) -> dict[str, Any]:
        async with db.transaction() as conn:
            alert = await lifecycle.resolve(conn, alert_id, principal.subject, _note(body), clock())
        return alert_json(alert)

    return router
