"""Rows the alerting services write and read (plain records; the SQL lives in adapters/alerting)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NewAlert:
    id: str
    patient_id: str
    rule_id: str
    category: str
    severity: str
    metric: str | None
    value: float | None
    reading_id: str | None
    count: int
    first_at: datetime
    last_at: datetime
    raised_at: datetime
    notified: bool
    escalate_after_minutes: int
    next_escalation_at: datetime | None


@dataclass(frozen=True)
class ActiveAlert:
    id: str
    patient_id: str
    rule_id: str
    severity: str
    status: str


@dataclass(frozen=True)
class AlertView:
    id: str
    patient_id: str
    rule_id: str
    category: str
    severity: str
    status: str
    metric: str | None
    first_value: float | None
    last_value: float | None
    breach_count: int
    first_at: datetime
    last_at: datetime
    raised_at: datetime
    notified: bool
    escalation_level: int
    next_escalation_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledge_note: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    resolve_note: str | None
    updated_at: datetime


@dataclass(frozen=True)
class HistoryEntry:
    alert_id: str
    action: str
    actor: str
    severity: str
    note: str | None
    at: datetime


@dataclass(frozen=True)
class TeamMember:
    staff_id: str
    role: str


@dataclass(frozen=True)
class AlertFilter:
    statuses: tuple[str, ...]
    patient_id: str | None = None
    severity: str | None = None
    rule_id: str | None = None
    category: str | None = None
    limit: int = 50
    before: tuple[datetime, str] | None = None  # keyset cursor: (raised_at, id) of the last row seen
