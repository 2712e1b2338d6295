"""Remote physiologic monitoring (RPM) programme rules: device days and care-management minutes.

* CPT 99454 (device supply with daily recordings) needs readings on at least 16 days of a 30-day
  period. Periods run back to back from the patient's enrolment day (their first reading day unless
  the care team enrols them explicitly); days are UTC calendar days.
* CPT 99457 covers the first 20 minutes of care management in a calendar month, 99458 each
  additional full 20 minutes.

Each earned unit has a deterministic charge id, so it is produced exactly once however often the
data that earns it is re-evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_DAYS = 30
DEVICE_DAYS_REQUIRED = 16
MINUTES_BLOCK = 20

CPT_DEVICE_SUPPLY = "99454"
CPT_FIRST_20_MIN = "99457"
CPT_EACH_ADDITIONAL_20_MIN = "99458"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class EarnedService:
    patient_id: str
    cpt_code: str
    period: Period
    sequence: int  # 1 for most codes; the n-th additional block for 99458

    @property
    def charge_id(self) -> str:
        return f"{self.patient_id}|{self.cpt_code}|{self.period.start.isoformat()}|{self.sequence}"


def device_period(enrolled_on: date, day: date) -> Period:
    """The 30-day period (counted from enrolment) that ``day`` falls in."""
    index = max((day - enrolled_on).days, 0) // PERIOD_DAYS
    start = enrolled_on + timedelta(days=index * PERIOD_DAYS)
    return Period(start, start + timedelta(days=PERIOD_DAYS - 1))


def device_days_earned(patient_id: str, period: Period, days_with_readings: int) -> list[EarnedService]:
    if days_with_readings < DEVICE_DAYS_REQUIRED:
        return []
    return [EarnedService(patient_id, CPT_DEVICE_SUPPLY, period, 1)]


def calendar_month(day: date) -> Period:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def care_minutes_earned(patient_id: str, month: Period, total_minutes: int) -> list[EarnedService]:
    """The units a month's total earns: 99457 at 20 minutes, one 99458 per further full 20."""
    if total_minutes < MINUTES_BLOCK:
        return []
    additional = (total_minutes - MINUTES_BLOCK) // MINUTES_BLOCK
    return [EarnedService(patient_id, CPT_FIRST_20_MIN, month, 1)] + [
        EarnedService(patient_id, CPT_EACH_ADDITIONAL_20_MIN, month, n) for n in range(1, additional + 1)
    ]


@dataclass(frozen=True)
class Adherence:
    period: Period
    days_with_readings: int

    @property
    def days_remaining(self) -> int:
        return max(DEVICE_DAYS_REQUIRED - self.days_with_readings, 0)

    @property
    def meets_device_requirement(self) -> bool:
        return self.days_with_readings >= DEVICE_DAYS_REQUIRED
