"""Turning a batch's breaches into alerts: dedup against active alerts, the rate cap, events.

Set-based: whatever the batch size, one query finds the active alerts of all (patient, rule)
keys, one finds the rate-cap counts, one the care teams; inserts and updates are batched. Two
batches racing on one key (PostgreSQL, two ingestion replicas) cannot both raise it: the partial
unique index keeps one, and the loser's breaches are counted on the winner's alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from caremesh.contracts.base import Event
from caremesh.contracts.monitoring import AlertRaised
from caremesh.kernel.db.base import Connection
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.adapters.alerting import alerts_sql, care_sql
from caremesh.modules.monitoring.application.alerting.metrics import ALERTS_HELD_BY_RATE_CAP, ALERTS_RAISED
from caremesh.modules.monitoring.application.alerting.records import ActiveAlert, HistoryEntry, NewAlert
from caremesh.modules.monitoring.domain.alert import (
    SYSTEM_ACTOR,
    BreachSummary,
    is_worse,
    notification_allowed,
)
from caremesh.modules.monitoring.domain.care_plan import CarePlan

RATE_WINDOW = timedelta(hours=1)


def _next_escalation(plan: CarePlan, severity: str, now: datetime) -> tuple[int, datetime | None]:
    minutes = plan.escalate_after(severity)
    return minutes, (now + timedelta(minutes=minutes) if minutes > 0 else None)


def _raised_event(alert: NewAlert, staff_id: str | None, reason: str) -> AlertRaised:
    return AlertRaised(
        alert_id=alert.id, patient_id=alert.patient_id, rule_id=alert.rule_id, category=alert.category,
        severity=alert.severity, metric=alert.metric, value=alert.value, observed_at=alert.last_at,
        raised_at=alert.raised_at, reason=reason, staff_id=staff_id,
    )  # fmt: skip


class AlertRaiser:
    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def raise_breaches(
        self,
        conn: Connection,
        summaries: Sequence[BreachSummary],
        plans: Mapping[str, CarePlan],
        now: datetime,
    ) -> int:
        """Record ``summaries``; return how many alerts were raised or worsened and pushed to the team."""
        if not summaries:
            return 0
        active = await alerts_sql.active_for(conn, [s.key for s in summaries])
        fresh = [s for s in summaries if s.key not in active]
        repeats = [(s, active[s.key]) for s in summaries if s.key in active]
        # Care teams only matter when someone is to be told (a flood of repeats needs none).
        tell = bool(fresh) or any(is_worse(s.severity, a.severity) for s, a in repeats)
        teams = await care_sql.teams(conn, sorted({s.patient_id for s in summaries})) if tell else {}
        first_staff = {patient_id: team[0].staff_id for patient_id, team in teams.items() if team}
        events: list[Event] = []
        if fresh:
            created, lost = await self._insert(conn, fresh, plans, first_staff, now)
            events += created
            if lost:  # raised meanwhile by a concurrent batch: they are repeats of that alert
                raced = await alerts_sql.active_for(conn, [s.key for s in lost])
                repeats += [(s, raced[s.key]) for s in lost if s.key in raced]
        events += await self._repeat(conn, repeats, plans, first_staff, now)
        if events:
            await self._outbox.add(conn, *events)
        return len(events)

    async def _insert(
        self, conn: Connection, fresh: Sequence[BreachSummary], plans: Mapping[str, CarePlan],
        first_staff: Mapping[str, str], now: datetime,
    ) -> tuple[list[Event], list[BreachSummary]]:  # fmt: skip
        notified = await alerts_sql.notified_since(
            conn, sorted({s.patient_id for s in fresh}), now - RATE_WINDOW
        )
        rows: list[NewAlert] = []
        for s in fresh:
            plan = plans[s.patient_id]
            allowed = notification_allowed(s.severity, notified.get(s.patient_id, 0), plan.rate_cap_per_hour)
            notified[s.patient_id] = notified.get(s.patient_id, 0) + int(allowed)
            minutes, next_at = _next_escalation(plan, s.severity, now)
            rows.append(
                NewAlert(
                    id=new_id(), patient_id=s.patient_id, rule_id=s.rule_id, category=s.category,
                    severity=s.severity, metric=s.metric, value=s.last_value, reading_id=s.reading_id,
                    count=s.count, first_at=s.first_at, last_at=s.last_at, raised_at=now, notified=allowed,
                    escalate_after_minutes=minutes, next_escalation_at=next_at if allowed else None,
                )
            )  # fmt: skip
        inserted = await alerts_sql.insert_alerts(conn, rows)
        created = [row for row in rows if row.id in inserted]
        await alerts_sql.add_history(
            conn, [HistoryEntry(a.id, "raised", SYSTEM_ACTOR, a.severity, None, now) for a in created]
        )
        for alert in created:
            counter = ALERTS_RAISED if alert.notified else ALERTS_HELD_BY_RATE_CAP
            conn.on_commit(counter.labels(alert.severity).inc)
        events: list[Event] = [
            _raised_event(a, first_staff.get(a.patient_id), "new") for a in created if a.notified
        ]
        lost = [s for s, row in zip(fresh, rows, strict=True) if row.id not in inserted]
        return events, lost

    async def _repeat(
        self, conn: Connection, repeats: Sequence[tuple[BreachSummary, ActiveAlert]],
        plans: Mapping[str, CarePlan], first_staff: Mapping[str, str], now: datetime,
    ) -> list[Event]:  # fmt: skip
        if not repeats:
            return []
        ordered = sorted(repeats, key=lambda item: item[1].id)  # one lock order for concurrent batches
        await alerts_sql.count_repeats(conn, [(a.id, s) for s, a in ordered], now)
        events: list[Event] = []
        history: list[HistoryEntry] = []
        for s, a in ordered:
            if not is_worse(s.severity, a.severity):
                continue
            minutes, next_at = _next_escalation(plans[s.patient_id], s.severity, now)
            await alerts_sql.mark_worsened(conn, a.id, s.severity, minutes, next_at, now)
            history.append(HistoryEntry(a.id, "severity-increased", SYSTEM_ACTOR, s.severity, None, now))
            conn.on_commit(ALERTS_RAISED.labels(s.severity).inc)
            worsened = NewAlert(
                id=a.id, patient_id=s.patient_id, rule_id=s.rule_id, category=s.category, severity=s.severity,
                metric=s.metric, value=s.last_value, reading_id=s.reading_id, count=s.count,
                first_at=s.first_at, last_at=s.last_at, raised_at=now, notified=True,
                escalate_after_minutes=minutes, next_escalation_at=next_at,
            )  # fmt: skip
            events.append(_raised_event(worsened, first_staff.get(s.patient_id), "severity-increased"))
        await alerts_sql.add_history(conn, history)
        return events
