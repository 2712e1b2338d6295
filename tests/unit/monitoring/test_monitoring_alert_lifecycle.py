"""The alert lifecycle, breach folding and the per-patient rate cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caremesh.modules.monitoring.domain.alert import (
    ACKNOWLEDGED,
    CRITICAL,
    LOW,
    OPEN,
    RESOLVED,
    THRESHOLD,
    WARNING,
    AlertTransitionError,
    Breach,
    check_transition,
    notification_allowed,
    summarise,
)

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "target"), [(OPEN, ACKNOWLEDGED), (OPEN, RESOLVED), (ACKNOWLEDGED, RESOLVED)]
)
def test_allowed_steps(current: str, target: str) -> None:
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(ACKNOWLEDGED, ACKNOWLEDGED), (RESOLVED, ACKNOWLEDGED), (RESOLVED, RESOLVED), (ACKNOWLEDGED, OPEN)],
)
def test_refused_steps(current: str, target: str) -> None:
    with pytest.raises(AlertTransitionError):
        check_transition(current, target)


def breach(rule: str, severity: str, value: float, minutes: int, patient: str = "pat-1") -> Breach:
    return Breach(
        patient, rule, THRESHOLD, severity, "glucose", value, AT + timedelta(minutes=minutes), f"r{minutes}"
    )


def test_breaches_fold_per_patient_and_rule_keeping_the_worst_severity_and_latest_value() -> None:
    folded = summarise(
        [
            breach("glucose-low", WARNING, 65, 10),
            breach("glucose-low", CRITICAL, 50, 0),
            breach("glucose-low", WARNING, 60, 5),
            breach("glucose-low", WARNING, 66, 1, patient="pat-2"),
        ]
    )
    assert [s.key for s in folded] == [("pat-1", "glucose-low"), ("pat-2", "glucose-low")]
    first = folded[0]
    assert (first.severity, first.count, first.last_value, first.reading_id) == (CRITICAL, 3, 65, "r10")
    assert (first.first_at, first.last_at) == (AT, AT + timedelta(minutes=10))


def test_the_rate_cap_never_holds_back_a_critical_alert() -> None:
    assert notification_allowed(CRITICAL, 1000, 6)
    assert notification_allowed(WARNING, 5, 6)
    assert not notification_allowed(WARNING, 6, 6)
    assert not notification_allowed(LOW, 0, 0)
