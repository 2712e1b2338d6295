"""Published language of the billing module (charge capture; claims come later)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol

from caremesh.contracts.base import Dto, Event, query


class ChargeCaptured(Event):
    event_type: ClassVar[str] = "billing.ChargeCaptured"

    charge_id: str
    order_id: str
    patient_id: str
    code: str  # RxNorm of the dispensed medication
    quantity: int
    amount: str  # decimal as text
    currency: str
    captured_at: datetime

    def aggregate_id(self) -> str:
        return self.order_id


class ChargeReversed(Event):
    event_type: ClassVar[str] = "billing.ChargeReversed"

    charge_id: str
    order_id: str
    patient_id: str
    amount: str
    currency: str
    reason: str | None = None
    reversed_at: datetime

    def aggregate_id(self) -> str:
        return self.order_id


class ChargeView(Dto):
    id: str
    order_id: str
    patient_id: str
    code: str
    quantity: int
    unit_price: str
    amount: str
    currency: str
    status: str  # posted | reversed
    captured_at: datetime
    reversed_at: datetime | None = None


class BillingAPI(Protocol):
    module: ClassVar[str] = "billing"
    api_name: ClassVar[str] = "billing"

    @query
    async def charges_of(self, patient_id: str) -> list[ChargeView]:
        """Every charge of the patient (posted and reversed), oldest first."""
        ...
