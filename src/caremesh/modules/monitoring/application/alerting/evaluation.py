"""The observer H1a's ingestion calls inside the transaction that stores accepted readings.

Everything here commits with the readings or not at all, so an accepted reading is always
evaluated exactly once. It is set-based: a batch of any size costs a fixed number of statements
(care plans, active alerts, rate-cap counts, care teams, weights, baselines, latest values, RPM
days), never a round trip per reading.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Connection
from caremesh.modules.monitoring.adapters.alerting import alerts_sql, signals_sql
from caremesh.modules.monitoring.application.alerting.metrics import EVALUATION_SECONDS
from caremesh.modules.monitoring.application.alerting.plans import plans_for
from caremesh.modules.monitoring.application.alerting.raising import AlertRaiser
from caremesh.modules.monitoring.application.alerting.records import HistoryEntry
from caremesh.modules.monitoring.application.alerting.rpm import RpmProgramme
from caremesh.modules.monitoring.application.alerting.signals import drift_breaches, weight_breaches
from caremesh.modules.monitoring.domain.alert import SYSTEM_ACTOR, summarise
from caremesh.modules.monitoring.domain.alert_rules import missing_data_rule_id, threshold_breaches
from caremesh.modules.monitoring.domain.reading import Reading


class AlertingObserver:
    def __init__(self, *, raiser: AlertRaiser, rpm: RpmProgramme, clock: Clock) -> None:
        self._raiser, self._rpm, self._clock = raiser, rpm, clock

    async def on_accepted(self, conn: Connection, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        started = time.perf_counter()
        now = self._clock()
        ordered = sorted(readings, key=lambda r: (r.patient_id, r.measured_at, r.reading_id))
        plans = await plans_for(conn, sorted({r.patient_id for r in ordered}))
        breaches = [b for r in ordered for b in threshold_breaches(plans[r.patient_id], r)]
        breaches += await weight_breaches(conn, ordered, plans)
        breaches += await drift_breaches(conn, ordered, plans, now)
        await signals_sql.record_latest(conn, ordered)
        await self._clear_missing_data(conn, ordered)
        await self._rpm.record_readings(conn, ordered, now)
        await self._raiser.raise_breaches(conn, summarise(breaches), plans, now)
        EVALUATION_SECONDS.observe(time.perf_counter() - started)

    async def _clear_missing_data(self, conn: Connection, readings: Sequence[Reading]) -> None:
        """A reading of a kind resolves that kind's missing-data alert: the data is there again."""
        keys = sorted({(r.patient_id, missing_data_rule_id(r.kind)) for r in readings})
        now = self._clock()
        cleared = await alerts_sql.resolve_cleared(conn, keys, now)
        await alerts_sql.add_history(
            conn,
            [HistoryEntry(a.id, "resolved", SYSTEM_ACTOR, a.severity, "data received", now) for a in cleared],
        )
