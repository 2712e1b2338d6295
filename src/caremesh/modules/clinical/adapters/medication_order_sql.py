"""SQL of medication orders, their saga steps and the patients' medication-context versions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.clinical.domain.medication_order import (
    Alert,
    MedicationOrder,
    Override,
    Prescription,
)

_COLUMNS = (
    "id, patient_id, encounter_id, medication_code, medication_display, dose_value, dose_unit, frequency, "
    "route, duration_days, status, interaction_check, checked_version, checked_at, knowledge_version, "
    "alerts, overrides, overrides_pending, ordered_by, signed_by, signed_at, end_reason, "
    "created_at, updated_at"
)
_PLACEHOLDERS = ", ".join(f"${n}" for n in range(1, 25))


def _values(order: MedicationOrder) -> tuple[Any, ...]:
    rx = order.prescription
    return (
        order.id,
        order.patient_id,
        order.encounter_id,
        rx.medication_code,
        rx.medication_display,
        str(rx.dose_value),
        rx.dose_unit,
        rx.frequency,
        rx.route,
        rx.duration_days,
        order.status,
        order.interaction_check,
        order.checked_version,
        order.checked_at,
        order.knowledge_version,
        orjson.dumps([alert.__dict__ for alert in order.alerts]).decode(),
        orjson.dumps([override.__dict__ for override in order.overrides]).decode(),
        int(order.overrides_pending),
        order.ordered_by,
        order.signed_by,
        order.signed_at,
        order.end_reason,
        order.created_at,
        order.updated_at,
    )


def _order(row: Row) -> MedicationOrder:
    prescription = Prescription(
        medication_code=row["medication_code"],
        medication_display=row["medication_display"],
        dose_value=Decimal(row["dose_value"]),
        dose_unit=row["dose_unit"],
        frequency=row["frequency"],
        route=row["route"],
        duration_days=int(row["duration_days"]),
    )
    return MedicationOrder(
        id=row["id"],
        patient_id=row["patient_id"],
        encounter_id=row["encounter_id"],
        prescription=prescription,
        ordered_by=row["ordered_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=row["status"],
        interaction_check=row["interaction_check"],
        checked_version=None if row["checked_version"] is None else int(row["checked_version"]),
        checked_at=row["checked_at"],
        knowledge_version=row["knowledge_version"],
        alerts=tuple(Alert(**item) for item in orjson.loads(row["alerts"])),
        overrides=tuple(Override(**item) for item in orjson.loads(row["overrides"])),
        overrides_pending=bool(row["overrides_pending"]),
        signed_by=row["signed_by"],
        signed_at=row["signed_at"],
        end_reason=row["end_reason"],
    )


async def insert_order(conn: Connection, order: MedicationOrder) -> None:
    await conn.execute(
        f"INSERT INTO medication_orders ({_COLUMNS}) VALUES ({_PLACEHOLDERS})", *_values(order)
    )


async def save_order(conn: Connection, order: MedicationOrder) -> None:
    names = [name.strip() for name in _COLUMNS.split(",")][1:]
    assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(names, start=2))
    await conn.execute(f"UPDATE medication_orders SET {assignments} WHERE id = $1", *_values(order))


async def get_order(conn: Connection, order_id: str, *, lock: bool = False) -> MedicationOrder | None:
    # SQLite has a single writer, so a write transaction already excludes every other writer.
    suffix = " FOR UPDATE" if lock and conn.dialect == "postgres" else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM medication_orders WHERE id = $1{suffix}", order_id)
    return None if row is None else _order(row)


async def orders_of_patient(conn: Connection, patient_id: str, limit: int) -> list[MedicationOrder]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM medication_orders WHERE patient_id = $1 ORDER BY created_at, id LIMIT $2",
        patient_id,
        limit,
    )
    return [_order(row) for row in rows]


async def orders_needing_recheck(conn: Connection, limit: int) -> list[MedicationOrder]:
    """Signed orders whose check was unavailable, or whose overrides CDS has not recorded yet."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM medication_orders WHERE status IN ('signed', 'verified', 'dispensed') "
        "AND (interaction_check = 'unavailable' OR overrides_pending = 1) ORDER BY signed_at, id LIMIT $1",
        limit,
    )
    return [_order(row) for row in rows]


async def record_step(conn: Connection, order_id: str, step: str, at: datetime) -> bool:
    """Record a saga step once; False when it was already recorded (a redelivered event)."""
    changed = await conn.execute(
        "INSERT INTO medication_order_steps (order_id, step, happened_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (order_id, step) DO NOTHING",
        order_id,
        step,
        at,
    )
    return changed == 1


async def steps_of(conn: Connection, order_id: str) -> dict[str, datetime]:
    rows = await conn.fetch(
        "SELECT step, happened_at FROM medication_order_steps WHERE order_id = $1 ORDER BY happened_at, step",
        order_id,
    )
    return {row["step"]: row["happened_at"] for row in rows}


async def bump_context(conn: Connection, changed: dict[str, list[tuple[str, str]]]) -> None:
    """One new version per patient, and which resources (type, id) it stands for: the audit trail
    that names the exact allergy list and medications an order was checked against."""
    for patient_id in sorted(changed):
        version = await conn.fetchval(
            "INSERT INTO medication_context (patient_id, version) VALUES ($1, 1) ON CONFLICT (patient_id) "
            "DO UPDATE SET version = medication_context.version + 1 RETURNING version",
            patient_id,
        )
        await conn.executemany(
            "INSERT INTO medication_context_changes (patient_id, version, resource_type, resource_id) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [(patient_id, version, kind, resource_id) for kind, resource_id in changed[patient_id]],
        )


async def context_changes(conn: Connection, patient_id: str) -> list[Row]:
    return await conn.fetch(
        "SELECT version, resource_type, resource_id FROM medication_context_changes "
        "WHERE patient_id = $1 ORDER BY version, resource_type, resource_id",
        patient_id,
    )


async def read_context_version(conn: Connection, patient_id: str) -> int:
    version = await conn.fetchval("SELECT version FROM medication_context WHERE patient_id = $1", patient_id)
    return int(version or 0)


async def lock_context_version(conn: Connection, patient_id: str) -> int:
    """The latest committed version, locked until this transaction ends (writers of the patient wait).

    One upsert both creates a missing row and takes the row lock on PostgreSQL; on conflict it sees
    the latest committed row even when that is newer than the transaction's snapshot.
    """
    version = await conn.fetchval(
        "INSERT INTO medication_context (patient_id, version) VALUES ($1, 0) "
        "ON CONFLICT (patient_id) DO UPDATE SET version = medication_context.version RETURNING version",
        patient_id,
    )
    return int(version)
