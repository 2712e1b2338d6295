"""Rules of the medication order and its saga, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from caremesh.modules.clinical.domain.medication_order import (
    Alert,
    MedicationOrder,
    Override,
    Prescription,
    new_alerts,
)
from caremesh.modules.clinical.domain.medication_order_errors import OrderStateError
from caremesh.modules.clinical.domain.medication_order_saga import saga_state
from caremesh.modules.pharmacy.domain.pharmacy_order import PharmacyOrder, PharmacyStateError

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ALLERGY = Alert("allergy:723", "drug-allergy", "critical", "Documented allergy")
DISPENSED_STEPS = {"signed", "pharmacy-queued", "dispensed", "charge-captured"}
INFO = Alert("info:1", "max-dose", "info", "FYI")


def _order() -> MedicationOrder:
    rx = Prescription("723", None, Decimal("500"), "mg", "TID", "oral", 7)
    return MedicationOrder("o1", "p1", None, rx, "dr", NOW, NOW)


def test_quantity_and_daily_dose_follow_the_sig() -> None:
    rx = _order().prescription
    assert (rx.doses_per_day, rx.quantity, rx.daily_dose) == (3, 21, Decimal("1500"))


def test_signing_needs_a_check_and_an_override_for_each_live_alert() -> None:
    with pytest.raises(OrderStateError):
        _order().sign("dr", (), NOW)
    checked = _order().record_check(4, (ALLERGY, INFO), "k1", NOW)
    assert checked.missing_overrides(()) == [ALLERGY]
    with pytest.raises(OrderStateError):
        checked.sign("dr", (), NOW)
    signed = checked.sign("dr", (Override("allergy:723", "benefit"), Override("unrelated", "x")), NOW)
    assert signed.status == "signed" and signed.overrides == (Override("allergy:723", "benefit"),)
    assert signed.overrides_pending
    with pytest.raises(OrderStateError):
        signed.record_check(5, (), "k1", NOW)


def test_an_unavailable_check_is_flagged_not_passed() -> None:
    checked = _order().record_check(1, None, None, NOW)
    assert checked.interaction_check == "unavailable" and checked.alerts == ()


def test_new_alerts_are_those_neither_seen_nor_overridden() -> None:
    ddi = Alert("ddi:1-2", "drug-drug", "warning", "Interaction")
    assert new_alerts((), (ALLERGY, INFO), set()) == [ALLERGY]
    assert new_alerts((ALLERGY,), (ALLERGY, ddi), set()) == [ddi]
    assert new_alerts((), (ALLERGY, ddi), {"allergy:723", "ddi:1-2"}) == []
    shown_in_encounter = Alert("ddi:3-4", "drug-drug", "warning", "Interaction", suppressed=True)
    assert new_alerts((), (shown_in_encounter,), set()) == []
    checked = _order().record_check(2, (shown_in_encounter,), "k", NOW)
    assert checked.missing_overrides(()) == [shown_in_encounter]  # still needs a reason


def test_pharmacy_news_only_moves_the_order_forward() -> None:
    signed = _order().record_check(1, (), "k", NOW).sign("dr", (), NOW)
    dispensed = signed.advance("dispensed", NOW)
    assert dispensed.status == "dispensed"
    assert dispensed.advance("verified", NOW) is dispensed  # a late verification changes nothing
    assert dispensed.end("cancelled", "x", NOW).fhir_status == "cancelled"


@pytest.mark.parametrize(
    ("status", "steps", "state"),
    [
        ("draft", set(), "not-started"),
        ("signed", {"signed"}, "in-progress"),
        ("dispensed", {"signed", "pharmacy-queued", "verified", "dispensed", "charge-captured"}, "completed"),
        ("cancelled", set(), "compensated"),
        ("cancelled", {"signed"}, "compensating"),  # the pharmacy has not dequeued it yet
        ("cancelled", {"signed", "pharmacy-queued", "pharmacy-dequeued"}, "compensated"),
        ("cancelled", {*DISPENSED_STEPS, "pharmacy-dequeued"}, "compensating"),  # charge not reversed yet
        ("cancelled", {*DISPENSED_STEPS, "pharmacy-dequeued", "charge-reversed"}, "compensated"),
        ("rejected", {"signed", "pharmacy-queued", "rejected"}, "compensated"),
    ],
)  # fmt: skip
def test_saga_state(status: str, steps: set[str], state: str) -> None:
    assert saga_state(status, dict.fromkeys(steps, NOW)) == state


def test_pharmacy_order_transitions() -> None:
    order = PharmacyOrder("ph1", "o1", "p1", "723", None, "500 mg", 21, "completed", "[]", "queued", NOW, NOW)
    with pytest.raises(PharmacyStateError):
        order.dispense(None, NOW)
    verified = order.verify("rph", NOW)
    dispensed = verified.dispense(None, NOW)
    assert dispensed.dispensed_quantity == 21 and dispensed.was_dispensed
    assert dispensed.dispense(None, NOW) is dispensed
    assert dispensed.dequeue(NOW).status == "dequeued"
    with pytest.raises(PharmacyStateError):
        dispensed.reject("late", NOW)
