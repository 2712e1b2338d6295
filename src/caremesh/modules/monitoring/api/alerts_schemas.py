"""Bodies and JSON shapes of the alerts API."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from caremesh.kernel.errors import InvalidRequest
from caremesh.modules.monitoring.application.alerting.records import AlertView, HistoryEntry

IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(None, max_length=2000)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def alert_json(alert: AlertView) -> dict[str, Any]:
    return {
        "id": alert.id, "patient_id": alert.patient_id, "rule_id": alert.rule_id, "category": alert.category,
        "severity": alert.severity, "status": alert.status, "metric": alert.metric,
        "first_value": alert.first_value, "last_value": alert.last_value, "breach_count": alert.breach_count,
        "first_at": _time(alert.first_at), "last_at": _time(alert.last_at),
        "raised_at": _time(alert.raised_at),
        "notified": alert.notified, "escalation_level": alert.escalation_level,
        "next_escalation_at": _time(alert.next_escalation_at),
        "acknowledged": None if alert.acknowledged_by is None else {
            "by": alert.acknowledged_by, "at": _time(alert.acknowledged_at), "note": alert.acknowledge_note,
        },
        "resolved": None if alert.resolved_by is None else {
            "by": alert.resolved_by, "at": _time(alert.resolved_at), "note": alert.resolve_note,
        },
        "updated_at": _time(alert.updated_at),
    }  # fmt: skip


def history_json(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "action": entry.action,
        "actor": entry.actor,
        "severity": entry.severity,
        "note": entry.note,
        "at": _time(entry.at),
    }


def cursor_of(alert: AlertView) -> str:
    return base64.urlsafe_b64encode(f"{alert.raised_at.isoformat()}|{alert.id}".encode()).decode()


def parse_cursor(raw: str | None) -> tuple[datetime, str] | None:
    if raw is None:
        return None
    try:
        at, _, alert_id = base64.urlsafe_b64decode(raw.encode()).decode().partition("|")
        parsed = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InvalidRequest("cursor: not a cursor this API returned") from exc
    if parsed.tzinfo is None or not alert_id:
        raise InvalidRequest("cursor: not a cursor this API returned")
    return parsed, alert_id
