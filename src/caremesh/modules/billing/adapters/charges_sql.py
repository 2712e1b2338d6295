"""SQL of charges."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.billing.domain.charge import Charge

_COLUMNS = (
    "id, order_id, patient_id, code, quantity, unit_price, amount, currency, price_list_version, status, "
    "captured_at, reversed_at, reversal_reason"
)


def _values(charge: Charge) -> tuple[Any, ...]:
    return (
        charge.id,
        charge.order_id,
        charge.patient_id,
        charge.code,
        charge.quantity,
        str(charge.unit_price),
        str(charge.amount),
        charge.currency,
        charge.price_list_version,
        charge.status,
        charge.captured_at,
        charge.reversed_at,
        charge.reversal_reason,
    )


def _charge(row: Row) -> Charge:
    values = {name.strip(): row[name.strip()] for name in _COLUMNS.split(",")}
    values["unit_price"], values["amount"] = Decimal(values["unit_price"]), Decimal(values["amount"])
    values["quantity"] = int(values["quantity"])
    return Charge(**values)


async def insert_once(conn: Connection, charge: Charge) -> bool:
    marks = ", ".join(f"${n}" for n in range(1, 14))
    changed = await conn.execute(
        f"INSERT INTO charges ({_COLUMNS}) VALUES ({marks}) ON CONFLICT (order_id) DO NOTHING",
        *_values(charge),
    )
    return changed == 1


async def by_order(conn: Connection, order_id: str, *, lock: bool = False) -> Charge | None:
    suffix = " FOR UPDATE" if lock and conn.dialect == "postgres" else ""
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM charges WHERE order_id = $1{suffix}", order_id)
    return None if row is None else _charge(row)


async def save_reversal(conn: Connection, charge: Charge) -> None:
    await conn.execute(
        "UPDATE charges SET status = $2, reversed_at = $3, reversal_reason = $4 WHERE id = $1",
        charge.id,
        charge.status,
        charge.reversed_at,
        charge.reversal_reason,
    )


async def of_patient(conn: Connection, patient_id: str, limit: int) -> list[Charge]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM charges WHERE patient_id = $1 ORDER BY captured_at, id LIMIT $2",
        patient_id,
        limit,
    )
    return [_charge(row) for row in rows]
