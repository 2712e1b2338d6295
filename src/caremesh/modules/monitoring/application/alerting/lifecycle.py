"""Care-team steps on an alert: acknowledge ("I am on it") and resolve, with who, when and a note."""

from __future__ import annotations

from datetime import datetime

from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Conflict, NotFound
from caremesh.modules.monitoring.adapters.alerting import alert_views_sql, alerts_sql
from caremesh.modules.monitoring.application.alerting.records import AlertView, HistoryEntry
from caremesh.modules.monitoring.domain.alert import (
    ACKNOWLEDGED,
    RESOLVED,
    AlertTransitionError,
    check_transition,
)


async def require_alert(conn: Connection, alert_id: str, *, for_update: bool = False) -> AlertView:
    alert = await alert_views_sql.get_alert(conn, alert_id, for_update=for_update)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    return alert


async def _step(
    conn: Connection, alert_id: str, target: str, actor: str, note: str | None, now: datetime
) -> AlertView:
    alert = await require_alert(conn, alert_id, for_update=True)
    try:
        check_transition(alert.status, target)
    except AlertTransitionError as exc:
        raise Conflict(str(exc), details={"alert_status": alert.status}) from exc
    step = alert_views_sql.acknowledge if target == ACKNOWLEDGED else alert_views_sql.resolve
    if not await step(conn, alert_id, actor, note, now):  # changed meanwhile (SQLite has no row lock)
        raise Conflict(f"alert {alert_id} changed meanwhile; reload it")
    await alerts_sql.add_history(conn, [HistoryEntry(alert_id, target, actor, alert.severity, note, now)])
    return await require_alert(conn, alert_id)


async def acknowledge(
    conn: Connection, alert_id: str, actor: str, note: str | None, now: datetime
) -> AlertView:
    """Stops escalation; further breaches keep counting on this alert."""
    return await _step(conn, alert_id, ACKNOWLEDGED, actor, note, now)


async def resolve(conn: Connection, alert_id: str, actor: str, note: str | None, now: datetime) -> AlertView:
    """Closes the alert; the next breach of the rule raises a new one."""
    return await _step(conn, alert_id, RESOLVED, actor, note, now)
