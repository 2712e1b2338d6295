"""Turning availability (days, local working hours, slot length) into UTC slot intervals.

Working hours are wall-clock times in the schedule's time zone, so 09:00 in New York is 14:00 UTC
in January and 13:00 UTC in July. Each window is converted to UTC once and then cut into slots
in UTC, which keeps every slot exactly ``slot_length`` long even on a day that gains or loses an
hour: a local time that does not exist (the spring-forward gap) resolves to the offset in force
before the change, and an ambiguous one (the fall-back hour) to its first occurrence.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from caremesh.modules.scheduling.domain.errors import InvalidAvailability
from caremesh.modules.scheduling.domain.slot import Interval

MIN_SLOT = timedelta(minutes=5)
MAX_SLOT = timedelta(hours=12)
MAX_RANGE_DAYS = 366
MAX_SLOTS_PER_REQUEST = 10_000


@dataclass(frozen=True)
class WorkingHours:
    """One local wall-clock window within a day, e.g. 08:00-12:00."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise InvalidAvailability("working hours are local times of the schedule: omit the offset")
        if self.end <= self.start:
            raise InvalidAvailability(
                f"working hours end ({self.end}) must be after their start ({self.start})"
            )


@dataclass(frozen=True)
class Availability:
    first_day: date
    last_day: date
    weekdays: frozenset[int]  # ISO: Monday = 1 ... Sunday = 7
    hours: tuple[WorkingHours, ...]
    slot_length: timedelta

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise InvalidAvailability("end_date must not be before start_date")
        if (self.last_day - self.first_day).days >= MAX_RANGE_DAYS:
            raise InvalidAvailability(f"a request may cover at most {MAX_RANGE_DAYS} days")
        if not self.weekdays or not self.weekdays <= set(range(1, 8)):
            raise InvalidAvailability("days_of_week must be ISO weekday numbers 1 (Monday) to 7 (Sunday)")
        if not MIN_SLOT <= self.slot_length <= MAX_SLOT:
            raise InvalidAvailability(f"slot length must be between {MIN_SLOT} and {MAX_SLOT}")
        _ensure_disjoint(self.hours)

    def days(self) -> Iterator[date]:
        day = self.first_day
        while day <= self.last_day:
            if day.isoweekday() in self.weekdays:
                yield day
            day += timedelta(days=1)


def _ensure_disjoint(hours: tuple[WorkingHours, ...]) -> None:
    if not hours:
        raise InvalidAvailability("at least one working-hours window is required")
    ordered = sorted(hours, key=lambda window: window.start)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise InvalidAvailability("working-hours windows must not overlap")


def to_utc(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall_clock, tzinfo=zone).astimezone(UTC)


def plan_slots(availability: Availability, zone: ZoneInfo, *, not_before: datetime) -> list[Interval]:
    """The slots ``availability`` describes, in time order, skipping any starting before ``not_before``."""
    planned: list[Interval] = []
    for day in availability.days():
        for window in availability.hours:
            start, end = to_utc(day, window.start, zone), to_utc(day, window.end, zone)
            while start + availability.slot_length <= end:
                if start >= not_before:
                    planned.append(Interval(start, start + availability.slot_length))
                start += availability.slot_length
            if len(planned) > MAX_SLOTS_PER_REQUEST:
                raise InvalidAvailability(f"a request may create at most {MAX_SLOTS_PER_REQUEST} slots")
    return sorted(planned)


def without_overlaps(candidates: Iterable[Interval], existing: Iterable[Interval]) -> list[Interval]:
    """The candidates that overlap neither an existing slot nor an earlier accepted candidate.

    This is what makes re-generating a range idempotent: the second run finds every candidate
    already taken and adds nothing.
    """
    taken = sorted(existing)
    starts = [interval.start for interval in taken]
    latest_end: list[datetime] = []
    for interval in taken:
        latest_end.append(max(interval.end, latest_end[-1]) if latest_end else interval.end)
    accepted: list[Interval] = []
    for candidate in sorted(candidates):
        before = bisect.bisect_left(starts, candidate.end)
        if before and latest_end[before - 1] > candidate.start:
            continue
        if accepted and accepted[-1].end > candidate.start:
            continue
        accepted.append(candidate)
    return accepted
