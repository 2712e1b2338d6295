"""Published language of the pharmacy module (verification queue and dispensing)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Protocol

from caremesh.contracts.base import Dto, Event, query


class _PharmacyEvent(Event):
    pharmacy_order_id: str
    order_id: str  # the medication order (clinical) this pharmacy order fills
    patient_id: str

    def aggregate_id(self) -> str:
        return self.order_id


class OrderQueued(_PharmacyEvent):
    event_type: ClassVar[str] = "pharmacy.OrderQueued"

    interaction_check: str  # "completed" or "unavailable" (verify manually)
    queued_at: datetime


class OrderVerified(_PharmacyEvent):
    event_type: ClassVar[str] = "pharmacy.OrderVerified"

    verified_by: str
    verified_at: datetime


class OrderRejected(_PharmacyEvent):
    event_type: ClassVar[str] = "pharmacy.OrderRejected"

    rejected_by: str
    reason: str
    rejected_at: datetime


class OrderDispensed(_PharmacyEvent):
    event_type: ClassVar[str] = "pharmacy.OrderDispensed"

    medication_code: str  # RxNorm
    medication_display: str | None = None
    quantity: int
    dispensed_by: str
    dispensed_at: datetime


class OrderDequeued(_PharmacyEvent):
    """Compensation: the order left the pharmacy (cancelled); ``was_dispensed`` asks for a charge reversal."""

    event_type: ClassVar[str] = "pharmacy.OrderDequeued"

    was_dispensed: bool
    reason: str | None = None
    dequeued_at: datetime


class PharmacyOrderView(Dto):
    id: str
    order_id: str
    patient_id: str
    status: str
    interaction_check: str
    medication_code: str
    quantity: int


class PharmacyAPI(Protocol):
    module: ClassVar[str] = "pharmacy"
    api_name: ClassVar[str] = "pharmacy"

    @query
    async def order_for(self, order_id: str) -> PharmacyOrderView | None:
        """The pharmacy order filling medication order ``order_id``, if it reached the pharmacy."""
        ...
