"""The order saga as the prescriber sees it: which steps happened, and whether it completed or unwound.

Steps are facts recorded once each (signed, pharmacy-queued, verified, dispensed, charge-captured)
plus compensations (cancelled, rejected, pharmacy-dequeued, charge-reversed).
"""

from __future__ import annotations

from datetime import datetime

FORWARD = ("signed", "pharmacy-queued", "verified", "dispensed", "charge-captured")
COMPENSATIONS = ("cancelled", "rejected", "pharmacy-dequeued", "charge-reversed")


def saga_state(status: str, steps: dict[str, datetime]) -> str:
    """``not-started`` (a draft), ``in-progress``, ``completed``, ``compensating`` or ``compensated``."""
    if status in ("cancelled", "rejected"):
        return "compensated" if _undone(steps) else "compensating"
    if "signed" not in steps:
        return "not-started"
    if "dispensed" in steps and "charge-captured" in steps:
        return "completed"
    return "in-progress"


def _undone(steps: dict[str, datetime]) -> bool:
    pharmacy_clear = "pharmacy-queued" not in steps or "pharmacy-dequeued" in steps or "rejected" in steps
    if "signed" in steps and "pharmacy-queued" not in steps and "rejected" not in steps:
        # The pharmacy has not answered yet; its dequeue (or reject) is still to come.
        pharmacy_clear = False
    charge_clear = "charge-captured" not in steps or "charge-reversed" in steps
    return pharmacy_clear and charge_clear
