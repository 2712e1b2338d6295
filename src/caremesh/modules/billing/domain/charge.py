"""A charge for dispensed medication: posted once per order, reversed when the order is undone."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

POSTED, REVERSED = "posted", "reversed"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PriceList:
    version: str
    currency: str
    default_unit_price: Decimal
    unit_prices: dict[str, Decimal]  # RxNorm code -> price per dose unit

    def amount(self, code: str, quantity: int) -> tuple[Decimal, Decimal]:
        """(unit price, amount rounded half-up to cents)."""
        unit = self.unit_prices.get(code, self.default_unit_price)
        return unit, (unit * quantity).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Charge:
    id: str
    order_id: str
    patient_id: str
    code: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    currency: str
    price_list_version: str
    status: str
    captured_at: datetime
    reversed_at: datetime | None = None
    reversal_reason: str | None = None

    def reverse(self, reason: str | None, now: datetime) -> Charge:
        if self.status == REVERSED:
            return self
        return replace(self, status=REVERSED, reversed_at=now, reversal_reason=reason)
