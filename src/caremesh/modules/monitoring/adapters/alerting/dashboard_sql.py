"""SQL for the care-team dashboard: monitored patients ranked by their active alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.db.base import Connection
from caremesh.modules.monitoring.adapters.alerting.sql import as_datetime


@dataclass(frozen=True)
class PatientStatus:
    patient_id: str
    worst_rank: int  # 0: no active alert
    open: int
    acknowledged: int
    critical: int
    warning: int
    low: int
    last_alert_at: datetime | None
    last_reading_at: datetime | None


_QUERY = """
SELECT p.patient_id,
       COALESCE(MAX(a.severity_rank), 0) AS worst_rank,
       COALESCE(SUM(CASE WHEN a.status = 'open' THEN 1 ELSE 0 END), 0) AS open_count,
       COALESCE(SUM(CASE WHEN a.status = 'acknowledged' THEN 1 ELSE 0 END), 0) AS ack_count,
       COALESCE(SUM(CASE WHEN a.severity = 'critical' THEN 1 ELSE 0 END), 0) AS critical,
       COALESCE(SUM(CASE WHEN a.severity = 'warning' THEN 1 ELSE 0 END), 0) AS warning,
       COALESCE(SUM(CASE WHEN a.severity = 'low' THEN 1 ELSE 0 END), 0) AS low,
       MAX(a.raised_at) AS last_alert_at,
       (SELECT MAX(l.measured_at) FROM alert_latest l WHERE l.patient_id = p.patient_id) AS last_reading_at
FROM (SELECT patient_id FROM alert_latest UNION SELECT patient_id FROM alerts WHERE status <> 'resolved') AS p
LEFT JOIN alerts a ON a.patient_id = p.patient_id AND a.status <> 'resolved'
GROUP BY p.patient_id
{having}
ORDER BY worst_rank DESC, open_count DESC, p.patient_id
LIMIT $1 OFFSET $2
"""


def _maybe_datetime(value: object) -> datetime | None:
    return None if value is None else as_datetime(value)


async def patients_by_alert_status(
    conn: Connection, *, worst_rank: int | None, limit: int, offset: int
) -> list[PatientStatus]:
    """Worst active severity first; ``worst_rank`` keeps only patients at that level (0: none)."""
    having = "" if worst_rank is None else "HAVING COALESCE(MAX(a.severity_rank), 0) = $3"
    args: list[int] = [limit, offset] + ([] if worst_rank is None else [worst_rank])
    rows = await conn.fetch(_QUERY.format(having=having), *args)
    return [
        PatientStatus(
            patient_id=row["patient_id"],
            worst_rank=int(row["worst_rank"]),
            open=int(row["open_count"]),
            acknowledged=int(row["ack_count"]),
            critical=int(row["critical"]),
            warning=int(row["warning"]),
            low=int(row["low"]),
            last_alert_at=_maybe_datetime(row["last_alert_at"]),
            last_reading_at=_maybe_datetime(row["last_reading_at"]),
        )
        for row in rows
    ]
