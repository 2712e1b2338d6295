"""The billing contract API."""

from __future__ import annotations

from caremesh.contracts.billing import ChargeView
from caremesh.kernel.db.base import Database
from caremesh.modules.billing.adapters import charges_sql as sql
from caremesh.modules.billing.domain.charge import Charge


def charge_view(charge: Charge) -> ChargeView:
    return ChargeView(
        id=charge.id,
        order_id=charge.order_id,
        patient_id=charge.patient_id,
        code=charge.code,
        quantity=charge.quantity,
        unit_price=str(charge.unit_price),
        amount=str(charge.amount),
        currency=charge.currency,
        status=charge.status,
        captured_at=charge.captured_at,
        reversed_at=charge.reversed_at,
    )


class BillingFacade:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def charges_of(self, patient_id: str) -> list[ChargeView]:
        async with self._db.read() as conn:
            return [charge_view(charge) for charge in await sql.of_patient(conn, patient_id, 1000)]
