"""Slot generation from availability: local working hours, DST, validation and overlap rules."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caremesh.modules.scheduling.domain.availability import (
    Availability,
    WorkingHours,
    plan_slots,
    without_overlaps,
)
from caremesh.modules.scheduling.domain.errors import InvalidAvailability, InvalidSchedule
from caremesh.modules.scheduling.domain.schedule import Schedule, load_zone
from caremesh.modules.scheduling.domain.slot import Interval

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
EVERY_DAY = frozenset(range(1, 8))


def availability(
    first: date,
    last: date | None = None,
    *,
    hours: tuple[tuple[int, int], ...] = ((9, 12),),
    minutes: int = 30,
    weekdays: frozenset[int] = EVERY_DAY,
) -> Availability:
    windows = tuple(WorkingHours(time(start), time(end)) for start, end in hours)
    return Availability(first, last or first, weekdays, windows, timedelta(minutes=minutes))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_working_week_skips_the_weekend_and_the_lunch_break() -> None:
    week = availability(
        date(2025, 1, 6), date(2025, 1, 12), hours=((9, 12), (13, 17)), weekdays=frozenset(range(1, 6))
    )
    slots = plan_slots(week, NEW_YORK, not_before=LONG_AGO)
    assert len(slots) == 5 * (6 + 8)
    assert slots[0] == Interval(utc(2025, 1, 6, 14), utc(2025, 1, 6, 14, 30))  # 09:00 EST
    assert {s.start.date() for s in slots} == {date(2025, 1, d) for d in range(6, 11)}
    lunch = Interval(utc(2025, 1, 6, 17), utc(2025, 1, 6, 18))  # 12:00-13:00 EST
    assert not any(slot.overlaps(lunch) for slot in slots)


def test_local_working_hours_follow_the_spring_forward_change() -> None:
    # New York moved from EST (-5) to EDT (-4) at 02:00 on Sunday 2025-03-09.
    slots = plan_slots(
        availability(date(2025, 3, 8), date(2025, 3, 10), hours=((9, 10),)), NEW_YORK, not_before=LONG_AGO
    )
    first_of_day = [slot.start for slot in slots[::2]]
    assert first_of_day == [utc(2025, 3, 8, 14), utc(2025, 3, 9, 13), utc(2025, 3, 10, 13)]
    assert all(slot.start.astimezone(NEW_YORK).time() in (time(9), time(9, 30)) for slot in slots)


def test_a_night_window_over_the_missing_hour_yields_only_real_time() -> None:
    # 00:00-04:00 local on the spring-forward night is three real hours, not four.
    slots = plan_slots(
        availability(date(2025, 3, 9), hours=((0, 4),), minutes=60), NEW_YORK, not_before=LONG_AGO
    )
    assert [slot.start for slot in slots] == [utc(2025, 3, 9, 5), utc(2025, 3, 9, 6), utc(2025, 3, 9, 7)]
    assert all(slot.end - slot.start == timedelta(hours=1) for slot in slots)
    assert without_overlaps(slots, []) == slots


def test_a_night_window_over_the_repeated_hour_yields_the_extra_hour() -> None:
    # Berlin went from CEST (+2) back to CET (+1) at 03:00 on 2025-10-26: 00:00-04:00 lasts five hours.
    slots = plan_slots(
        availability(date(2025, 10, 26), hours=((0, 4),), minutes=60), BERLIN, not_before=LONG_AGO
    )
    assert [slot.start for slot in slots] == [utc(2025, 10, 25, 22) + timedelta(hours=h) for h in range(5)]
    assert without_overlaps(slots, []) == slots


def test_slots_that_start_before_not_before_are_left_out() -> None:
    day = availability(date(2025, 1, 6), hours=((9, 11),))
    slots = plan_slots(day, NEW_YORK, not_before=utc(2025, 1, 6, 15))
    assert [slot.start for slot in slots] == [utc(2025, 1, 6, 15), utc(2025, 1, 6, 15, 30)]


def test_regenerating_the_same_range_adds_nothing() -> None:
    planned = plan_slots(availability(date(2025, 1, 6), date(2025, 1, 10)), NEW_YORK, not_before=LONG_AGO)
    assert without_overlaps(planned, planned) == []


def test_a_different_slot_length_fills_only_the_gaps() -> None:
    existing = [Interval(utc(2025, 1, 6, 14), utc(2025, 1, 6, 14, 30))]
    candidates = plan_slots(
        availability(date(2025, 1, 6), hours=((9, 10),), minutes=20), NEW_YORK, not_before=LONG_AGO
    )
    kept = without_overlaps(candidates, existing)
    assert [slot.start for slot in kept] == [utc(2025, 1, 6, 14, 40)]


def test_a_long_existing_slot_hides_every_candidate_it_covers() -> None:
    existing = [
        Interval(utc(2025, 1, 6, 14), utc(2025, 1, 6, 17)),
        Interval(utc(2025, 1, 6, 14, 30), utc(2025, 1, 6, 15)),
    ]
    candidates = [
        Interval(utc(2025, 1, 6, 16), utc(2025, 1, 6, 16, 30)),
        Interval(utc(2025, 1, 6, 17), utc(2025, 1, 6, 18)),
    ]
    assert without_overlaps(candidates, existing) == [candidates[1]]


def test_candidates_that_overlap_each_other_keep_the_earlier_one() -> None:
    a = Interval(utc(2025, 1, 6, 9), utc(2025, 1, 6, 10))
    b = Interval(utc(2025, 1, 6, 9, 30), utc(2025, 1, 6, 10, 30))
    assert without_overlaps([b, a], []) == [a]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: availability(date(2025, 1, 7), date(2025, 1, 6)), "end_date"),
        (lambda: availability(date(2025, 1, 6), hours=((12, 9),)), "after their start"),
        (lambda: availability(date(2025, 1, 6), hours=((9, 12), (11, 14))), "overlap"),
        (lambda: availability(date(2025, 1, 6), hours=()), "at least one"),
        (lambda: availability(date(2025, 1, 6), weekdays=frozenset({0})), "ISO weekday"),
        (lambda: availability(date(2025, 1, 6), minutes=1), "slot length"),
        (lambda: availability(date(2025, 1, 1), date(2026, 1, 2)), "at most"),
        (lambda: WorkingHours(time(9, tzinfo=UTC), time(10)), "omit the offset"),
    ],
)
def test_impossible_availability_is_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(InvalidAvailability, match=message):
        build()


def test_too_many_slots_in_one_request_are_refused() -> None:
    year = availability(date(2025, 1, 1), date(2025, 12, 31), hours=((0, 23),), minutes=5)
    with pytest.raises(InvalidAvailability, match="at most"):
        plan_slots(year, NEW_YORK, not_before=LONG_AGO)


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../../etc/passwd", "", "/etc/localtime"])
def test_unknown_time_zones_are_refused(name: str) -> None:
    with pytest.raises(InvalidSchedule):
        load_zone(name)
    with pytest.raises(InvalidSchedule):
        Schedule("s", "p", "gp", name, None, True, LONG_AGO)


@settings(max_examples=60, deadline=None)
@given(
    first=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 1)),
    days=st.integers(min_value=0, max_value=20),
    start_hour=st.integers(min_value=0, max_value=20),
    length_hours=st.integers(min_value=1, max_value=3),
    minutes=st.sampled_from([10, 15, 20, 30, 45, 60]),
    zone=st.sampled_from([NEW_YORK, BERLIN, ZoneInfo("Australia/Sydney"), ZoneInfo("UTC")]),
)
def test_planned_slots_never_overlap_and_last_exactly_their_length(
    first: date, days: int, start_hour: int, length_hours: int, minutes: int, zone: ZoneInfo
) -> None:
    hours = ((start_hour, min(start_hour + length_hours, 23)),)
    planned = plan_slots(
        availability(first, first + timedelta(days=days), hours=hours, minutes=minutes),
        zone,
        not_before=LONG_AGO,
    )
    assert all(slot.end - slot.start == timedelta(minutes=minutes) for slot in planned)
    assert all(before.end <= after.start for before, after in itertools.pairwise(planned))
    assert without_overlaps(planned, []) == planned
    assert without_overlaps(planned, planned) == []
