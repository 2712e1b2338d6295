"""Background passes of alerting (escalation, missing data, housekeeping) and their loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from caremesh.contracts.monitoring import AlertEscalated
from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Database
from caremesh.kernel.events.outbox import Outbox
from caremesh.modules.monitoring.adapters.alerting import alerts_sql, care_sql, signals_sql
from caremesh.modules.monitoring.application.alerting.metrics import ALERTS_ESCALATED, ESCALATIONS_EXHAUSTED
from caremesh.modules.monitoring.application.alerting.plans import plans_for
from caremesh.modules.monitoring.application.alerting.raising import AlertRaiser
from caremesh.modules.monitoring.application.alerting.records import HistoryEntry
from caremesh.modules.monitoring.domain.alert import MISSING_DATA, SYSTEM_ACTOR, summarise
from caremesh.modules.monitoring.domain.alert_rules import missing_data_breach, missing_data_rule_id

log = structlog.get_logger(__name__)

WEIGHT_LOG_KEPT = timedelta(days=8)  # the longest default weight trend (7 days) plus a day


def every(
    interval: float, run_once: Callable[[], Awaitable[int]], name: str
) -> Callable[[], Awaitable[None]]:
    """A worker running ``run_once`` every ``interval`` seconds; a failed pass is logged, not fatal."""

    async def loop() -> None:
        while True:
            try:
                await run_once()
            except Exception as exc:  # the next pass retries; nothing is lost (state is in the database)
                log.warning("alerting pass failed", task=name, error=type(exc).__name__)
            await asyncio.sleep(interval)

    return loop


class Escalator:
    """Tells the next care-team member about alerts left unacknowledged past their severity's limit."""

    def __init__(self, db: Database, outbox: Outbox, clock: Clock, batch: int = 200) -> None:
        self._db, self._outbox, self._clock, self._batch = db, outbox, clock, batch

    async def run_once(self) -> int:
        now = self._clock()
        async with self._db.transaction() as conn:
            due = await alerts_sql.due_escalations(conn, now, self._batch)
            teams = await care_sql.teams(conn, sorted({row["patient_id"] for row in due}))
            history: list[HistoryEntry] = []
            for row in due:
                level = int(row["escalation_level"]) + 1
                team = teams.get(row["patient_id"], [])
                if level >= len(team):  # nobody left to tell: stays open and visible on the dashboard
                    await alerts_sql.set_escalation(conn, row["id"], level - 1, None, now)
                    conn.on_commit(ESCALATIONS_EXHAUSTED.inc)
                    continue
                member = team[level]
                next_at = now + timedelta(minutes=int(row["escalate_after_minutes"]))
                await alerts_sql.set_escalation(conn, row["id"], level, next_at, now)
                await self._outbox.add(
                    conn,
                    AlertEscalated(
                        alert_id=row["id"], patient_id=row["patient_id"], rule_id=row["rule_id"],
                        severity=row["severity"], level=level, staff_id=member.staff_id, role=member.role,
                        raised_at=row["raised_at"], escalated_at=now,
                    ),
                )  # fmt: skip
                history.append(
                    HistoryEntry(row["id"], "escalated", SYSTEM_ACTOR, row["severity"], member.staff_id, now)
                )
                conn.on_commit(ALERTS_ESCALATED.inc)
            await alerts_sql.add_history(conn, history)
        return len(due)


class MissingDataWatch:
    """Raises an alert for each kind a patient has been sending but has not sent for too long."""

    def __init__(self, db: Database, raiser: AlertRaiser, clock: Clock) -> None:
        self._db, self._raiser, self._clock = db, raiser, clock

    async def run_once(self) -> int:
        now = self._clock()
        async with self._db.transaction() as conn:
            last = await signals_sql.last_reading_per_kind(conn)
            handled = await alerts_sql.last_resolutions(conn, MISSING_DATA)
            plans = await plans_for(conn, sorted({patient_id for patient_id, _, _ in last}))
            breaches = []
            for patient_id, kind, last_at in last:
                resolved_at = handled.get((patient_id, missing_data_rule_id(kind)))
                policy = plans[patient_id].missing_data
                breach = missing_data_breach(policy, patient_id, kind, last_at, now, resolved_at)
                if breach is not None:
                    breaches.append(breach)
            return await self._raiser.raise_breaches(conn, summarise(breaches), plans, now)


class Housekeeping:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock

    async def run_once(self) -> int:
        async with self._db.transaction() as conn:
            return await signals_sql.forget_weights_before(conn, self._clock() - WEIGHT_LOG_KEPT)
