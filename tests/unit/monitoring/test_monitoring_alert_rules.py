"""Threshold rules of the default care plan at their boundaries, and care-plan validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caremesh.modules.monitoring.domain.alert_rules import missing_data_breach, threshold_breaches
from caremesh.modules.monitoring.domain.care_plan_parsing import (
    CarePlanError,
    care_plan_from_dict,
    care_plan_to_dict,
    default_care_plan,
)
from caremesh.modules.monitoring.domain.reading import Reading

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def reading(kind: str, **values: float) -> Reading:
    return Reading("r-1", "pat-1", "dev-1", kind, AT, values, AT)


def verdicts(kind: str, **values: float) -> dict[str, str]:
    return {b.rule_id: b.severity for b in threshold_breaches(default_care_plan(), reading(kind, **values))}


@pytest.mark.parametrize(
    ("glucose", "expected"),
    [
        (53.9, {"glucose-low": "critical"}),
        (54, {"glucose-low": "warning"}),  # < 54 is level 2; 54 itself is level 1
        (69.9, {"glucose-low": "warning"}),
        (70, {}),
        (300, {}),  # > 300, not >= 300
        (300.1, {"glucose-high": "warning"}),
    ],
)
def test_glucose_bands(glucose: float, expected: dict[str, str]) -> None:
    assert verdicts("glucose", glucose=glucose) == expected


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (179, 119, {"bp-high": "warning"}),
        (180, 90, {"bp-high": "critical"}),  # crisis on systolic alone
        (150, 120, {"bp-high": "critical"}),  # crisis on diastolic alone
        (159, 99, {}),
        (160, 80, {"bp-high": "warning"}),
        (140, 100, {"bp-high": "warning"}),
    ],
)
def test_blood_pressure_bands(systolic: float, diastolic: float, expected: dict[str, str]) -> None:
    assert verdicts("blood-pressure", systolic=systolic, diastolic=diastolic, heart_rate=70) == expected


@pytest.mark.parametrize(
    ("spo2", "severity"),
    [
        (85, "critical"),
        (91, "critical"),
        (92, "warning"),
        (93, "warning"),
        (94, "low"),
        (95, "low"),
        (96, None),
    ],
)
def test_spo2_follows_news2_scale_1(spo2: float, severity: str | None) -> None:
    # NEWS2 scale 1: <=91 scores 3 (critical), 92-93 scores 2 (warning), 94-95 scores 1 (low).
    assert verdicts("pulse-oximetry", spo2=spo2, heart_rate=72).get("spo2-low") == severity


@pytest.mark.parametrize(
    ("celsius", "expected"),
    [
        (35.0, {"temperature-low": "critical"}),
        (35.1, {"temperature-low": "low"}),
        (36.0, {"temperature-low": "low"}),
        (36.1, {}),
        (38.0, {}),
        (38.1, {"temperature-high": "low"}),
        (39.1, {"temperature-high": "warning"}),
    ],
)
def test_temperature_follows_news2(celsius: float, expected: dict[str, str]) -> None:
    assert verdicts("temperature", temperature=celsius) == expected


def test_a_breach_names_the_offending_metric_and_value() -> None:
    (breach,) = threshold_breaches(
        default_care_plan(), reading("blood-pressure", systolic=150, diastolic=125)
    )
    assert (breach.metric, breach.value, breach.reading_id, breach.observed_at) == (
        "diastolic",
        125,
        "r-1",
        AT,
    )


def test_a_missing_metric_is_not_a_breach() -> None:
    assert verdicts("blood-pressure", diastolic=80) == {}


def test_the_default_plan_round_trips_through_its_data_shape() -> None:
    plan = default_care_plan()
    assert care_plan_from_dict(care_plan_to_dict(plan)) == plan


def test_an_invalid_plan_reports_every_problem_at_once() -> None:
    data = care_plan_to_dict(default_care_plan())
    data["thresholds"][0]["conditions"][0]["op"] = "=="
    data["thresholds"][1]["kind"] = "mood"
    data["thresholds"].append(dict(data["thresholds"][2]))  # duplicate rule id
    data["weight_gain"][0]["unit"] = "stone"
    data["missing_data"]["hours"] = {"weight": -1}
    with pytest.raises(CarePlanError) as caught:
        care_plan_from_dict(data)
    text = " | ".join(caught.value.problems)
    for expected in ("op", "kind", "used twice", "unit", "missing_data.hours"):
        assert expected in text


def test_a_condition_metric_must_belong_to_the_rule_kind() -> None:
    data = care_plan_to_dict(default_care_plan())
    data["thresholds"][0]["conditions"][0]["metric"] = "systolic"  # glucose rule
    with pytest.raises(CarePlanError, match="metric"):
        care_plan_from_dict(data)


def test_missing_data_hours_per_kind_and_escalation_per_severity_come_from_the_plan() -> None:
    plan = default_care_plan()
    assert plan.missing_data.hours_for("weight") == 36
    assert plan.missing_data.hours_for("glucose") == 48
    assert [plan.escalate_after(s) for s in ("critical", "warning", "low")] == [5, 30, 0]
    data = care_plan_to_dict(plan)
    data["missing_data"]["hours"] = {"glucose": 0}  # 0 switches the check off for that kind
    assert care_plan_from_dict(data).missing_data.hours_for("glucose") == 0


def test_missing_data_alerts_at_the_policy_hours_per_kind() -> None:
    policy = default_care_plan().missing_data
    last = AT
    assert missing_data_breach(policy, "p", "weight", last, last + timedelta(hours=35, minutes=59)) is None
    breach = missing_data_breach(policy, "p", "weight", last, last + timedelta(hours=36))
    assert breach is not None
    assert (breach.rule_id, breach.severity, breach.value, breach.observed_at) == (
        "missing-data-weight", "warning", 36.0, last,
    )  # fmt: skip
    assert missing_data_breach(policy, "p", "glucose", last, last + timedelta(hours=47)) is None
    assert missing_data_breach(policy, "p", "glucose", last, last + timedelta(hours=48)) is not None


def test_a_silence_the_team_resolved_stays_quiet_until_data_arrives() -> None:
    policy = default_care_plan().missing_data
    resolved = AT + timedelta(hours=40)
    assert missing_data_breach(policy, "p", "weight", AT, AT + timedelta(hours=60), resolved) is None
    # a reading after that resolution starts a new silence, which is watched again
    newer = AT + timedelta(hours=41)
    assert missing_data_breach(policy, "p", "weight", newer, newer + timedelta(hours=36), resolved)


def test_a_switched_off_kind_is_never_missing() -> None:
    data = care_plan_to_dict(default_care_plan())
    data["missing_data"]["hours"] = {"weight": 0}
    policy = care_plan_from_dict(data).missing_data
    assert missing_data_breach(policy, "p", "weight", AT, AT + timedelta(days=30)) is None
