"""RPM programme rules: 30-day device periods and the 16-day rule, care-minute units per month."""

from __future__ import annotations

from datetime import date

from caremesh.modules.monitoring.domain.adherence import (
    Period,
    calendar_month,
    care_minutes_earned,
    device_days_earned,
    device_period,
)

ENROLLED = date(2026, 1, 10)


def test_periods_run_back_to_back_from_enrolment() -> None:
    assert device_period(ENROLLED, ENROLLED) == Period(date(2026, 1, 10), date(2026, 2, 8))
    assert device_period(ENROLLED, date(2026, 2, 8)).start == ENROLLED
    assert device_period(ENROLLED, date(2026, 2, 9)) == Period(date(2026, 2, 9), date(2026, 3, 10))


def test_a_day_before_enrolment_counts_in_the_first_period() -> None:
    assert device_period(ENROLLED, date(2026, 1, 1)).start == ENROLLED


def test_99454_needs_16_days() -> None:
    period = device_period(ENROLLED, ENROLLED)
    assert device_days_earned("p", period, 15) == []
    (earned,) = device_days_earned("p", period, 16)
    assert (earned.cpt_code, earned.charge_id) == ("99454", "p|99454|2026-01-10|1")


def test_care_minutes_earn_99457_then_one_99458_per_further_20_minutes() -> None:
    month = calendar_month(date(2026, 2, 14))
    assert month == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert care_minutes_earned("p", month, 19) == []
    assert [(e.cpt_code, e.sequence) for e in care_minutes_earned("p", month, 20)] == [("99457", 1)]
    assert [(e.cpt_code, e.sequence) for e in care_minutes_earned("p", month, 39)] == [("99457", 1)]
    assert [(e.cpt_code, e.sequence) for e in care_minutes_earned("p", month, 60)] == [
        ("99457", 1),
        ("99458", 1),
        ("99458", 2),
    ]


def test_calendar_months_handle_december() -> None:
    assert calendar_month(date(2026, 12, 31)) == Period(date(2026, 12, 1), date(2026, 12, 31))
