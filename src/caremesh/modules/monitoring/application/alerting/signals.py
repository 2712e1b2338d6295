"""Per-batch trend work: weight-gain rules over recent weights, drift against metric baselines.

Each loads what it needs for the whole batch in one query and writes back in one batched statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from caremesh.kernel.db.base import Connection
from caremesh.modules.monitoring.adapters.alerting import signals_sql
from caremesh.modules.monitoring.domain.alert import DRIFT, Breach
from caremesh.modules.monitoring.domain.care_plan import CarePlan
from caremesh.modules.monitoring.domain.reading import Reading
from caremesh.modules.monitoring.domain.trend import (
    WEIGHT,
    WeightPoint,
    longest_window,
    usable_for_trends,
    weight_gain_breaches,
)
from caremesh.modules.monitoring.domain.trend_baseline import Baseline


async def weight_breaches(
    conn: Connection, readings: Sequence[Reading], plans: Mapping[str, CarePlan]
) -> list[Breach]:
    """``readings`` ordered by (patient, measured_at); each weight is judged against earlier ones."""
    weighed = [
        r for r in readings if WEIGHT in r.values and plans[r.patient_id].weight_gain and usable_for_trends(r)
    ]
    if not weighed:
        return []
    window = max(longest_window(plans[r.patient_id].weight_gain) for r in weighed)
    since = min(r.measured_at for r in weighed) - window
    history = await signals_sql.weights_since(conn, sorted({r.patient_id for r in weighed}), since)
    breaches: list[Breach] = []
    added: list[tuple[str, WeightPoint]] = []
    for reading in weighed:
        points = history.setdefault(reading.patient_id, [])
        breaches += weight_gain_breaches(plans[reading.patient_id].weight_gain, points, reading)
        point = WeightPoint(reading.measured_at, reading.values[WEIGHT])
        points.append(point)
        added.append((reading.patient_id, point))
    await signals_sql.add_weights(conn, added)
    return breaches


def _drift_breach(reading: Reading, metric: str, plan: CarePlan) -> Breach:
    return Breach(
        patient_id=reading.patient_id,
        rule_id=f"drift-{metric.replace('_', '-')}",
        category=DRIFT,
        severity=plan.drift.severity,
        metric=metric,
        value=reading.values[metric],
        observed_at=reading.measured_at,
        reading_id=reading.reading_id,
    )


async def drift_breaches(
    conn: Connection, readings: Sequence[Reading], plans: Mapping[str, CarePlan], now: datetime
) -> list[Breach]:
    tracked = [
        (reading, metric)
        for reading in readings
        if usable_for_trends(reading)
        for metric in reading.values
        if metric in plans[reading.patient_id].drift.metrics
    ]
    if not tracked:
        return []
    keys = sorted({(reading.patient_id, metric) for reading, metric in tracked})
    baselines = await signals_sql.baselines(conn, keys)
    breaches: list[Breach] = []
    for reading, metric in tracked:
        plan = plans[reading.patient_id]
        baseline = baselines.setdefault((reading.patient_id, metric), Baseline())
        check = baseline.observe(reading.measured_at, reading.values[metric], plan.drift, metric)
        if check is not None and check.drifting(plan.drift):
            breaches.append(_drift_breach(reading, metric, plan))
    await signals_sql.save_baselines(conn, baselines, now)
    return breaches
