"""Bodies and JSON shapes of the care-team API (care plans, teams, dashboard, RPM)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from caremesh.modules.monitoring.adapters.alerting.dashboard_sql import PatientStatus
from caremesh.modules.monitoring.api.alerts_schemas import IDENTIFIER
from caremesh.modules.monitoring.domain.adherence import DEVICE_DAYS_REQUIRED, Adherence
from caremesh.modules.monitoring.domain.alert import SEVERITIES

PatientId = Annotated[str, Path(pattern=IDENTIFIER, description="opaque patient identifier")]
SEVERITY_BY_RANK = {0: None} | {rank: severity for rank, severity in enumerate(SEVERITIES, start=1)}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemberIn(_Body):
    staff_id: str = Field(..., pattern=IDENTIFIER)
    role: str = Field(..., min_length=1, max_length=64, description="e.g. nurse, physician, care-coordinator")


class CareTeamIn(_Body):
    members: list[MemberIn] = Field(
        ..., max_length=20, description="in escalation order: the first is told first"
    )


class CareMinutesIn(_Body):
    minutes: int = Field(..., ge=1, le=240)
    performed_at: datetime | None = Field(None, description="default: now; must carry a time-zone offset")
    note: str | None = Field(None, max_length=2000)


class EnrolmentIn(_Body):
    enrolled_on: date


def status_json(status: PatientStatus) -> dict[str, Any]:
    return {
        "patient_id": status.patient_id,
        "worst_severity": SEVERITY_BY_RANK[status.worst_rank],
        "open": status.open,
        "acknowledged": status.acknowledged,
        "by_severity": {"critical": status.critical, "warning": status.warning, "low": status.low},
        "last_alert_at": None if status.last_alert_at is None else status.last_alert_at.isoformat(),
        "last_reading_at": None if status.last_reading_at is None else status.last_reading_at.isoformat(),
    }


def adherence_json(adherence: Adherence | None) -> dict[str, Any] | None:
    if adherence is None:
        return None
    return {
        "period_start": adherence.period.start.isoformat(),
        "period_end": adherence.period.end.isoformat(),
        "days_with_readings": adherence.days_with_readings,
        "days_required": DEVICE_DAYS_REQUIRED,
        "days_remaining": adherence.days_remaining,
        "meets_99454": adherence.meets_device_requirement,
    }
