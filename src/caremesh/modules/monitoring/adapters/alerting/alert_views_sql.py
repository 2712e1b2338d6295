"""SQL for reading alerts (lists with filters, one alert with its history) and lifecycle steps."""

from __future__ import annotations

from datetime import datetime

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.monitoring.adapters.alerting.sql import json_list, text_set
from caremesh.modules.monitoring.application.alerting.records import AlertFilter, AlertView, HistoryEntry

_COLUMNS = (
    "id, patient_id, rule_id, category, severity, status, metric, first_value, last_value, breach_count, "
    "first_at, last_at, raised_at, notified, escalation_level, next_escalation_at, acknowledged_by, "
    "acknowledged_at, acknowledge_note, resolved_by, resolved_at, resolve_note, updated_at"
)


def _view(row: Row) -> AlertView:
    return AlertView(
        **{key: row[key] for key in _COLUMNS.split(", ") if key != "notified"}, notified=bool(row["notified"])
    )


async def get_alert(conn: Connection, alert_id: str, *, for_update: bool = False) -> AlertView | None:
    lock = " FOR UPDATE" if for_update and conn.dialect == "postgres" else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM alerts WHERE id = $1{lock}", alert_id)
    return None if row is None else _view(row)


async def list_alerts(conn: Connection, query: AlertFilter) -> list[AlertView]:
    """Newest first; worst first would starve older alerts of paging stability, so severity filters."""
    args: list[object] = [json_list(query.statuses)]
    clauses = [f"status IN {text_set(conn, '$1')}"]
    for column, value in (
        ("patient_id", query.patient_id),
        ("severity", query.severity),
        ("rule_id", query.rule_id),
        ("category", query.category),
    ):
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if query.before is not None:
        args += [query.before[0], query.before[1]]
        n = len(args)
        clauses.append(f"(raised_at < ${n - 1} OR (raised_at = ${n - 1} AND id < ${n}))")
    args.append(query.limit)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM alerts WHERE {' AND '.join(clauses)} "
        f"ORDER BY raised_at DESC, id DESC LIMIT ${len(args)}",
        *args,
    )
    return [_view(row) for row in rows]


async def history(conn: Connection, alert_id: str) -> list[HistoryEntry]:
    rows = await conn.fetch(
        "SELECT alert_id, action, actor, severity, note, at FROM alert_history "
        "WHERE alert_id = $1 ORDER BY at, id",
        alert_id,
    )
    return [
        HistoryEntry(r["alert_id"], r["action"], r["actor"], r["severity"], r["note"], r["at"]) for r in rows
    ]


async def acknowledge(conn: Connection, alert_id: str, actor: str, note: str | None, now: datetime) -> bool:
    changed = await conn.execute(
        "UPDATE alerts SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = $3, "
        "acknowledge_note = $4, next_escalation_at = NULL, updated_at = $3 WHERE id = $1 AND status = 'open'",
        alert_id,
        actor,
        now,
        note,
    )
    return changed == 1


async def resolve(conn: Connection, alert_id: str, actor: str, note: str | None, now: datetime) -> bool:
    changed = await conn.execute(
        "UPDATE alerts SET status = 'resolved', resolved_by = $2, resolved_at = $3, resolve_note = $4, "
        "next_escalation_at = NULL, updated_at = $3 WHERE id = $1 AND status <> 'resolved'",
        alert_id,
        actor,
        now,
        note,
    )
    return changed == 1
