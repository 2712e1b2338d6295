"""SQL for alerts: set-based dedup lookups and writes for the evaluation path, lifecycle updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from caremesh.kernel.db.base import Connection, Row
from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.adapters.alerting.sql import (
    as_datetime,
    json_list,
    pair_set,
    skip_locked,
    text_set,
)
from caremesh.modules.monitoring.application.alerting.records import ActiveAlert, HistoryEntry, NewAlert
from caremesh.modules.monitoring.domain.alert import SEVERITY_RANK, SYSTEM_ACTOR, BreachSummary

_INSERT = (
    "INSERT INTO alerts (id, patient_id, rule_id, category, severity, severity_rank, status, metric, "
    "first_value, last_value, last_reading_id, breach_count, first_at, last_at, raised_at, notified, "
    "escalate_after_minutes, escalation_level, next_escalation_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8, $9, $10, $11, $12, $13, $14, $15, 0, $16, $13) "
    "ON CONFLICT DO NOTHING"
)

# A repeat breach: count it and keep the value of the latest measurement.
_REPEAT = (
    "UPDATE alerts SET breach_count = breach_count + $2, "
    "last_value = CASE WHEN $3 >= last_at THEN $4 ELSE last_value END, "
    "last_reading_id = CASE WHEN $3 >= last_at THEN $5 ELSE last_reading_id END, "
    "metric = CASE WHEN $3 >= last_at THEN $6 ELSE metric END, "
    "last_at = CASE WHEN $3 > last_at THEN $3 ELSE last_at END, updated_at = $7 WHERE id = $1"
)

# Worse than when raised (or acknowledged): open again, so someone looks at it anew.
_WORSENED = (
    "UPDATE alerts SET severity = $2, severity_rank = $3, status = 'open', notified = 1, "
    "escalate_after_minutes = $4, escalation_level = 0, next_escalation_at = $5, "
    "acknowledged_by = NULL, acknowledged_at = NULL, acknowledge_note = NULL, updated_at = $6 WHERE id = $1"
)

_HISTORY = (
    "INSERT INTO alert_history (id, alert_id, action, actor, severity, note, at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


def _active(row: Row) -> ActiveAlert:
    return ActiveAlert(row["id"], row["patient_id"], row["rule_id"], row["severity"], row["status"])


async def active_for(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], ActiveAlert]:
    """The active alert of each (patient, rule) key that has one: one query for the whole batch."""
    if not keys:
        return {}
    rows = await conn.fetch(
        "SELECT id, patient_id, rule_id, severity, status FROM alerts "
        f"WHERE status <> 'resolved' AND (patient_id, rule_id) IN {pair_set(conn, '$1')}",
        json_list(keys),
    )
    return {(row["patient_id"], row["rule_id"]): _active(row) for row in rows}


async def insert_alerts(conn: Connection, alerts: Sequence[NewAlert]) -> set[str]:
    """Insert; return the ids actually inserted (a concurrent batch may have raised the same key)."""
    if not alerts:
        return set()
    await conn.executemany(
        _INSERT,
        [
            (a.id, a.patient_id, a.rule_id, a.category, a.severity, SEVERITY_RANK[a.severity], a.metric,
             a.value, a.reading_id, a.count, a.first_at, a.last_at, a.raised_at, int(a.notified),
             a.escalate_after_minutes, a.next_escalation_at)
            for a in alerts
        ],
    )  # fmt: skip
    rows = await conn.fetch(
        f"SELECT id FROM alerts WHERE id IN {text_set(conn, '$1')}", json_list(a.id for a in alerts)
    )
    return {row["id"] for row in rows}


async def count_repeats(
    conn: Connection, repeats: Sequence[tuple[str, BreachSummary]], now: datetime
) -> None:
    await conn.executemany(
        _REPEAT,
        [
            (alert_id, s.count, s.last_at, s.last_value, s.reading_id, s.metric, now)
            for alert_id, s in repeats
        ],
    )


async def mark_worsened(
    conn: Connection,
    alert_id: str,
    severity: str,
    escalate_after: int,
    next_at: datetime | None,
    now: datetime,
) -> None:
    await conn.execute(_WORSENED, alert_id, severity, SEVERITY_RANK[severity], escalate_after, next_at, now)


async def notified_since(conn: Connection, patients: Sequence[str], since: datetime) -> dict[str, int]:
    """Per patient: alerts pushed to the care team since ``since`` (the rate cap's window)."""
    rows = await conn.fetch(
        "SELECT patient_id, COUNT(*) AS n FROM alerts "
        f"WHERE patient_id IN {text_set(conn, '$1')} AND raised_at >= $2 AND notified = 1 "
        "GROUP BY patient_id",
        json_list(patients),
        since,
    )
    return {row["patient_id"]: int(row["n"]) for row in rows}


async def add_history(conn: Connection, entries: Sequence[HistoryEntry]) -> None:
    if entries:
        await conn.executemany(
            _HISTORY, [(new_id(), e.alert_id, e.action, e.actor, e.severity, e.note, e.at) for e in entries]
        )


async def resolve_cleared(
    conn: Connection, keys: Sequence[tuple[str, str]], now: datetime
) -> list[ActiveAlert]:
    """Resolve the active alerts of these (patient, rule) keys as cleared by the data itself."""
    if not keys:
        return []
    rows = await conn.fetch(
        "UPDATE alerts SET status = 'resolved', resolved_by = $2, resolved_at = $3, "
        "resolve_note = 'data received', next_escalation_at = NULL, updated_at = $3 "
        f"WHERE status <> 'resolved' AND (patient_id, rule_id) IN {pair_set(conn, '$1')} "
        "RETURNING id, patient_id, rule_id, severity, status",
        json_list(keys),
        SYSTEM_ACTOR,
        now,
    )
    return [_active(row) for row in rows]


async def due_escalations(conn: Connection, now: datetime, limit: int) -> list[Row]:
    return await conn.fetch(
        "SELECT id, patient_id, rule_id, severity, escalation_level, escalate_after_minutes, raised_at "
        "FROM alerts WHERE status = 'open' AND next_escalation_at <= $1 "
        f"ORDER BY next_escalation_at LIMIT $2{skip_locked(conn)}",
        now,
        limit,
    )


async def set_escalation(
    conn: Connection, alert_id: str, level: int, next_at: datetime | None, now: datetime
) -> None:
    await conn.execute(
        "UPDATE alerts SET escalation_level = $2, next_escalation_at = $3, updated_at = $4 WHERE id = $1",
        alert_id,
        level,
        next_at,
        now,
    )


async def last_resolutions(conn: Connection, category: str) -> dict[tuple[str, str], datetime]:
    """When each (patient, rule) of ``category`` was last resolved by a person (not by the data)."""
    rows = await conn.fetch(
        "SELECT patient_id, rule_id, MAX(resolved_at) AS at FROM alerts "
        "WHERE category = $1 AND status = 'resolved' AND resolved_by <> $2 GROUP BY patient_id, rule_id",
        category,
        SYSTEM_ACTOR,
    )
    return {(row["patient_id"], row["rule_id"]): as_datetime(row["at"]) for row in rows}
