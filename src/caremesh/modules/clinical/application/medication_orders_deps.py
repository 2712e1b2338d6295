"""What the order-entry use cases need, and the request shapes they take."""

from __future__ import annotations

from dataclasses import dataclass

from caremesh.fhir.engine import FhirEngine
from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Database
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.observability.metrics import business_counter
from caremesh.modules.clinical.application.medication_order_cds import GuardedCds

DEGRADED_ORDERS = business_counter(
    "medication_orders_degraded",
    "Medication orders signed while the interaction check was unavailable (verify manually)",
)
SIGNED_ORDERS = business_counter(
    "medication_orders_signed",
    "Medication orders signed, by interaction check outcome",
    ["interaction_check"],
)
SIGN_REFUSALS = business_counter(
    "medication_order_sign_refusals",
    "Signatures refused because a re-check against changed allergies/medications found new alerts",
)


@dataclass(frozen=True)
class OrderEntryDeps:
    db: Database
    engine: FhirEngine
    outbox: Outbox
    cds: GuardedCds
    clock: Clock = utcnow
    idempotency_lock_seconds: float = 60.0  # how long a crashed signing blocks retries of its key


class NeedsCheck(Exception):
    """Inside the signing transaction: the check is missing or older than the patient's context."""
