"""SQL for what evaluation keeps per patient: latest values, recent weights and metric baselines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.monitoring.adapters.alerting.sql import (
    as_datetime,
    insert_rows,
    json_list,
    pair_set,
    text_set,
)
from caremesh.modules.monitoring.domain.reading import Reading
from caremesh.modules.monitoring.domain.trend import WeightPoint
from caremesh.modules.monitoring.domain.trend_baseline import Baseline

_LATEST_COLUMNS = (
    ("patient_id", "text"), ("metric", "text"), ("kind", "text"), ("value", "float8"),
    ("measured_at", "timestamptz"), ("device_id", "text"), ("reading_id", "text"),
)  # fmt: skip
# Only a newer measurement replaces the stored one (late readings from a backlog do not).
_LATEST_UPSERT = (
    "ON CONFLICT (patient_id, metric) DO UPDATE SET "
    "kind = excluded.kind, value = excluded.value, measured_at = excluded.measured_at, "
    "device_id = excluded.device_id, reading_id = excluded.reading_id "
    "WHERE alert_latest.measured_at < excluded.measured_at"
)


async def record_latest(conn: Connection, readings: Sequence[Reading]) -> None:
    newest: dict[tuple[str, str], Reading] = {}
    for reading in readings:
        for metric in reading.values:
            key = (reading.patient_id, metric)
            if key not in newest or newest[key].measured_at < reading.measured_at:
                newest[key] = reading
    rows = [
        (p, metric, r.kind, r.values[metric], r.measured_at, r.device_id, r.reading_id)
        for (p, metric), r in sorted(newest.items())
    ]
    await insert_rows(conn, "alert_latest", _LATEST_COLUMNS, rows, _LATEST_UPSERT)


async def latest_of(conn: Connection, patient_id: str) -> list[Row]:
    return await conn.fetch(
        "SELECT metric, kind, value, measured_at, device_id FROM alert_latest "
        "WHERE patient_id = $1 ORDER BY metric",
        patient_id,
    )


async def last_reading_per_kind(conn: Connection) -> list[tuple[str, str, datetime]]:
    """(patient, kind, last measured_at) for every kind each patient has sent."""
    rows = await conn.fetch(
        "SELECT patient_id, kind, MAX(measured_at) AS last_at FROM alert_latest GROUP BY patient_id, kind"
    )
    return [(row["patient_id"], row["kind"], as_datetime(row["last_at"])) for row in rows]


async def weights_since(
    conn: Connection, patients: Sequence[str], since: datetime
) -> dict[str, list[WeightPoint]]:
    rows = await conn.fetch(
        "SELECT patient_id, measured_at, kg FROM alert_weight_log "
        f"WHERE patient_id IN {text_set(conn, '$1')} AND measured_at >= $2",
        json_list(patients),
        since,
    )
    found: dict[str, list[WeightPoint]] = {}
    for row in rows:
        found.setdefault(row["patient_id"], []).append(WeightPoint(row["measured_at"], float(row["kg"])))
    return found


async def add_weights(conn: Connection, points: Sequence[tuple[str, WeightPoint]]) -> None:
    unique = {(patient_id, p.measured_at): p.kg for patient_id, p in points}
    await insert_rows(
        conn,
        "alert_weight_log",
        (("patient_id", "text"), ("measured_at", "timestamptz"), ("kg", "float8")),
        [(patient_id, at, kg) for (patient_id, at), kg in sorted(unique.items())],
        "ON CONFLICT DO NOTHING",
    )


async def forget_weights_before(conn: Connection, cutoff: datetime) -> int:
    return await conn.execute("DELETE FROM alert_weight_log WHERE measured_at < $1", cutoff)


_BASELINE_COLUMNS = (
    ("patient_id", "text"), ("metric", "text"), ("samples", "text"), ("side", "int4"), ("run", "int4"),
    ("updated_at", "timestamptz"),
)  # fmt: skip


async def baselines(conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Baseline]:
    """Load for update: on PostgreSQL two batches of one patient take turns (in key order, so they
    cannot deadlock) instead of both appending to the same old window and one overwriting the other."""
    lock = ""
    if conn.dialect == "postgres":
        # A row must exist to be locked: create missing ones first (a concurrent creator makes us wait).
        await insert_rows(
            conn, "alert_baselines", _BASELINE_COLUMNS,
            [(p, metric, "[]", 0, 0, datetime.now(UTC)) for p, metric in sorted(set(keys))],
            "ON CONFLICT DO NOTHING",
        )  # fmt: skip
        lock = " ORDER BY patient_id, metric FOR UPDATE"
    rows = await conn.fetch(
        "SELECT patient_id, metric, samples, side, run FROM alert_baselines "
        f"WHERE (patient_id, metric) IN {pair_set(conn, '$1')}{lock}",
        json_list(keys),
    )
    return {
        (row["patient_id"], row["metric"]): Baseline(
            samples=[(float(t), float(v)) for t, v in orjson.loads(row["samples"])],
            side=int(row["side"]),
            run=int(row["run"]),
        )
        for row in rows
    }


def _compact(samples: list[tuple[float, float]]) -> str:
    # Whole seconds and 4 decimals: far below what devices resolve, and half the bytes per batch.
    return orjson.dumps([[int(at), round(value, 4)] for at, value in samples]).decode()


async def save_baselines(conn: Connection, changed: dict[tuple[str, str], Baseline], now: datetime) -> None:
    await insert_rows(
        conn,
        "alert_baselines",
        _BASELINE_COLUMNS,
        [
            (p, metric, _compact(b.samples), b.side, b.run, now)
            for (p, metric), b in sorted(changed.items())
        ],
        "ON CONFLICT (patient_id, metric) DO UPDATE SET samples = excluded.samples, side = excluded.side, "
        "run = excluded.run, updated_at = excluded.updated_at",
    )  # fmt: skip
