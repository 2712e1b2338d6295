"""SQL of the pharmacy queue."""

from __future__ import annotations

from typing import Any

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.pharmacy.domain.pharmacy_order import PharmacyOrder

_COLUMNS = (
    "id, order_id, patient_id, medication_code, medication_display, dose, quantity, interaction_check, "
    "alerts, status, queued_at, updated_at, verified_by, rejected_reason, dispensed_quantity, was_dispensed"
)


def _values(order: PharmacyOrder) -> tuple[Any, ...]:
    return (
        order.id,
        order.order_id,
        order.patient_id,
        order.medication_code,
        order.medication_display,
        order.dose,
        order.quantity,
        order.interaction_check,
        order.alerts,
        order.status,
        order.queued_at,
        order.updated_at,
        order.verified_by,
        order.rejected_reason,
        order.dispensed_quantity,
        int(order.was_dispensed),
    )


def _order(row: Row) -> PharmacyOrder:
    values = {name.strip(): row[name.strip()] for name in _COLUMNS.split(",")}
    values["was_dispensed"] = bool(values["was_dispensed"])
    values["quantity"] = int(values["quantity"])
    return PharmacyOrder(**values)


async def insert_once(conn: Connection, order: PharmacyOrder) -> bool:
    """Queue the order unless its medication order is queued already (True when inserted)."""
    placeholders = ", ".join(f"${n}" for n in range(1, 17))
    changed = await conn.execute(
        f"INSERT INTO pharmacy_orders ({_COLUMNS}) VALUES ({placeholders}) ON CONFLICT (order_id) DO NOTHING",
        *_values(order),
    )
    return changed == 1


async def save(conn: Connection, order: PharmacyOrder) -> None:
    names = [name.strip() for name in _COLUMNS.split(",")][1:]
    assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(names, start=2))
    await conn.execute(
        f"UPDATE pharmacy_orders SET {assignments} WHERE id = $1", order.id, *_values(order)[1:]
    )


async def get(conn: Connection, pharmacy_order_id: str, *, lock: bool = False) -> PharmacyOrder | None:
    suffix = " FOR UPDATE" if lock and conn.dialect == "postgres" else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM pharmacy_orders WHERE id = $1{suffix}", pharmacy_order_id
    )
    return None if row is None else _order(row)


async def by_order(conn: Connection, order_id: str, *, lock: bool = False) -> PharmacyOrder | None:
    suffix = " FOR UPDATE" if lock and conn.dialect == "postgres" else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM pharmacy_orders WHERE order_id = $1{suffix}", order_id)
    return None if row is None else _order(row)


async def queue(
    conn: Connection, statuses: list[str], patient_id: str | None, limit: int
) -> list[PharmacyOrder]:
    marks = ", ".join(f"${n}" for n in range(1, len(statuses) + 1))
    sql = f"SELECT {_COLUMNS} FROM pharmacy_orders WHERE status IN ({marks})"
    args: list[Any] = list(statuses)
    if patient_id is not None:
        args.append(patient_id)
        sql += f" AND patient_id = ${len(args)}"
    args.append(limit)
    rows = await conn.fetch(sql + f" ORDER BY queued_at, id LIMIT ${len(args)}", *args)
    return [_order(row) for row in rows]
