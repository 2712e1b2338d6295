"""Weight-gain trends (2 lb/day, 5 lb/week with unit conversion) and baseline drift."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caremesh.modules.monitoring.domain.care_plan import POUND_KG, DriftSettings
from caremesh.modules.monitoring.domain.care_plan_parsing import default_care_plan
from caremesh.modules.monitoring.domain.reading import Reading
from caremesh.modules.monitoring.domain.trend import WeightPoint, weight_gain_breaches
from caremesh.modules.monitoring.domain.trend_baseline import Baseline

DAY0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
BASE_KG = 82.0


def weighed(at: datetime, kg: float) -> Reading:
    return Reading("r-w", "pat-hf", "scale-1", "weight", at, {"weight": kg}, at)


def rules_hit(history: list[WeightPoint], at: datetime, kg: float) -> dict[str, float]:
    breaches = weight_gain_breaches(default_care_plan().weight_gain, history, weighed(at, kg))
    return {b.rule_id: b.value or 0.0 for b in breaches}


def test_limits_are_converted_from_pounds() -> None:
    day, week = default_care_plan().weight_gain
    assert day.max_gain_kg == pytest.approx(2 * 0.45359237)
    assert week.max_gain_kg == pytest.approx(5 * 0.45359237)


def test_exactly_two_pounds_in_a_day_is_not_more_than_two_pounds() -> None:
    history = [WeightPoint(DAY0, BASE_KG)]
    assert rules_hit(history, DAY0 + timedelta(hours=24), BASE_KG + 2 * POUND_KG) == {}


def test_more_than_two_pounds_in_a_day_alerts_with_the_gain_in_kg() -> None:
    history = [WeightPoint(DAY0, BASE_KG)]
    hit = rules_hit(history, DAY0 + timedelta(hours=23), BASE_KG + 2.1 * POUND_KG)
    assert set(hit) == {"weight-gain-day"}
    assert hit["weight-gain-day"] == pytest.approx(2.1 * POUND_KG, abs=1e-3)


def test_the_day_window_ends_24_hours_back() -> None:
    history = [WeightPoint(DAY0, BASE_KG)]
    # 25 h later the first weight is outside the day window but inside the week window (gain < 5 lb).
    assert rules_hit(history, DAY0 + timedelta(hours=25), BASE_KG + 3 * POUND_KG) == {}


def test_a_slow_gain_over_a_week_alerts_on_the_week_rule_only() -> None:
    history = [WeightPoint(DAY0 + timedelta(days=d), BASE_KG + d * 0.8 * POUND_KG) for d in range(7)]
    at = DAY0 + timedelta(days=6, hours=23)
    assert set(rules_hit(history, at, BASE_KG + 5.2 * POUND_KG)) == {"weight-gain-week"}
    assert rules_hit(history, at, BASE_KG + 4.9 * POUND_KG) == {}


def test_the_reference_is_the_lowest_weight_in_the_window() -> None:
    history = [WeightPoint(DAY0, BASE_KG + 1.0), WeightPoint(DAY0 + timedelta(hours=12), BASE_KG)]
    hit = rules_hit(history, DAY0 + timedelta(hours=20), BASE_KG + 1.0)
    assert hit["weight-gain-day"] == pytest.approx(1.0)


def test_no_history_no_trend() -> None:
    assert rules_hit([], DAY0, 120.0) == {}


SETTINGS = DriftSettings(
    metrics=frozenset({"systolic"}), window_days=14, min_samples=10, mad_multiplier=3.0, consecutive=3,
    min_spread={"systolic": 5.0},
)  # fmt: skip


def fill(baseline: Baseline, values: list[float], start: datetime = DAY0) -> datetime:
    at = start
    for i, value in enumerate(values):
        at = start + timedelta(hours=12 * i)
        baseline.observe(at, value, SETTINGS, "systolic")
    return at


def test_no_verdict_while_the_baseline_is_too_thin() -> None:
    baseline = Baseline()
    checks = [baseline.observe(DAY0 + timedelta(hours=i), 120, SETTINGS, "systolic") for i in range(10)]
    assert checks[:10] == [None] * 10
    assert baseline.observe(DAY0 + timedelta(hours=11), 120, SETTINGS, "systolic") is not None


def test_three_consecutive_readings_beyond_the_band_are_drift() -> None:
    baseline = Baseline()
    last = fill(baseline, [118, 120, 122, 119, 121, 120, 123, 117, 120, 121, 119, 120])
    runs = []
    for i in range(3):
        check = baseline.observe(last + timedelta(hours=12 * (i + 1)), 150, SETTINGS, "systolic")
        assert check is not None
        runs.append(check.drifting(SETTINGS))
    assert runs == [False, False, True]


def test_a_reading_back_inside_the_band_restarts_the_count() -> None:
    baseline = Baseline()
    last = fill(baseline, [120] * 12)
    values = [150, 150, 121, 150, 150]
    checks = [
        baseline.observe(last + timedelta(hours=i + 1), v, SETTINGS, "systolic") for i, v in enumerate(values)
    ]
    assert [c.run for c in checks if c is not None] == [1, 2, 0, 1, 2]


def test_readings_on_opposite_sides_are_not_a_run() -> None:
    baseline = Baseline()
    last = fill(baseline, [120] * 12)
    checks = [
        baseline.observe(last + timedelta(hours=i + 1), v, SETTINGS, "systolic")
        for i, v in enumerate([150, 90, 150])
    ]
    assert [c.run for c in checks if c is not None] == [1, 1, 1]


def test_the_spread_floor_keeps_a_steady_baseline_from_flagging_noise() -> None:
    baseline = Baseline()
    last = fill(baseline, [120] * 12)  # MAD 0: without a floor, 121 would be "beyond"
    check = baseline.observe(last + timedelta(hours=1), 134, SETTINGS, "systolic")
    assert check is not None and check.run == 0 and check.spread == 5.0


def test_old_samples_leave_the_window() -> None:
    baseline = Baseline()
    fill(baseline, [120] * 12)
    later = DAY0 + timedelta(days=30)
    assert (
        baseline.observe(later, 120, SETTINGS, "systolic") is None
    )  # everything older than 14 days forgotten
    assert len(baseline.samples) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=60, max_value=220, allow_nan=False), min_size=12, max_size=60))
def test_the_incremental_baseline_matches_a_recomputation(values: list[float]) -> None:
    baseline = Baseline()
    for i, value in enumerate(values):
        at = DAY0 + timedelta(hours=6 * i)
        check = baseline.observe(at, value, SETTINGS, "systolic")
        window = [
            v for j, v in enumerate(values[:i]) if DAY0 + timedelta(hours=6 * j) >= at - timedelta(days=14)
        ]
        if len(window) < SETTINGS.min_samples:
            assert check is None
            continue
        assert check is not None
        centre = statistics.median(window)
        assert check.median == pytest.approx(centre)
        spread = max(statistics.median(abs(v - centre) for v in window) * 1.4826, 5.0)
        assert check.spread == pytest.approx(spread)
