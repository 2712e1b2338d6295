"""The pharmacy's contract API, served in-process or over RPC."""

from __future__ import annotations

from caremesh.contracts.pharmacy import PharmacyOrderView
from caremesh.kernel.db.base import Database
from caremesh.modules.pharmacy.adapters import pharmacy_sql as sql


class PharmacyFacade:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def order_for(self, order_id: str) -> PharmacyOrderView | None:
        async with self._db.read() as conn:
            order = await sql.by_order(conn, order_id)
        if order is None:
            return None
        return PharmacyOrderView(
            id=order.id,
            order_id=order.order_id,
            patient_id=order.patient_id,
            status=order.status,
            interaction_check=order.interaction_check,
            medication_code=order.medication_code,
            quantity=order.quantity,
        )
