"""A pharmacy order: queued → verified → dispensed, or rejected by the pharmacist, or dequeued when
the prescriber cancels (after a dispense too: the medication comes back and the charge is reversed)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

QUEUED, VERIFIED, REJECTED, DISPENSED, DEQUEUED = "queued", "verified", "rejected", "dispensed", "dequeued"
OPEN = frozenset({QUEUED, VERIFIED})


class PharmacyStateError(Exception):
    pass


@dataclass(frozen=True)
class PharmacyOrder:
    id: str
    order_id: str
    patient_id: str
    medication_code: str
    medication_display: str | None
    dose: str  # "500 mg oral TID for 10 days", as signed
    quantity: int
    interaction_check: str  # completed | unavailable
    alerts: str  # JSON list of the alerts and overrides, for the pharmacist
    status: str
    queued_at: datetime
    updated_at: datetime
    verified_by: str | None = None
    rejected_reason: str | None = None
    dispensed_quantity: int | None = None
    was_dispensed: bool = False

    def verify(
        self, pharmacist: str, now: datetime, *, manual_check_confirmed: bool = False
    ) -> PharmacyOrder:
        """Idempotent: verifying an order verified already (and maybe dispensed since) changes nothing.

        An order signed while the interaction check was unavailable is verified only once the
        pharmacist confirms checking interactions and allergies by hand.
        """
        if self.status in (VERIFIED, DISPENSED):
            return self
        if self.status != QUEUED:
            raise PharmacyStateError(f"a {self.status} order cannot be verified")
        if self.interaction_check == "unavailable" and not manual_check_confirmed:
            raise PharmacyStateError(
                "interaction check unavailable — verify manually, then confirm with manual_check_confirmed"
            )
        return replace(self, status=VERIFIED, verified_by=pharmacist, updated_at=now)

    def reject(self, reason: str, now: datetime) -> PharmacyOrder:
        if self.status == REJECTED:
            return self
        if self.status not in OPEN:
            raise PharmacyStateError(f"a {self.status} order cannot be rejected")
        return replace(self, status=REJECTED, rejected_reason=reason, updated_at=now)

    def dispense(self, quantity: int | None, now: datetime) -> PharmacyOrder:
        if self.status == DISPENSED:
            return self
        if self.status != VERIFIED:
            raise PharmacyStateError(f"a {self.status} order cannot be dispensed; verify it first")
        return replace(
            self,
            status=DISPENSED,
            dispensed_quantity=quantity or self.quantity,
            was_dispensed=True,
            updated_at=now,
        )

    def dequeue(self, now: datetime) -> PharmacyOrder:
        """The prescriber cancelled: leave the queue (a rejected order has nothing left to undo)."""
        if self.status in (DEQUEUED, REJECTED):
            return self
        return replace(self, status=DEQUEUED, updated_at=now)
