"""Threshold rules applied to one accepted reading: pure functions, no storage."""

from __future__ import annotations

from datetime import datetime

from caremesh.modules.monitoring.domain.alert import MISSING_DATA, THRESHOLD, Breach
from caremesh.modules.monitoring.domain.care_plan import CarePlan, MissingDataPolicy
from caremesh.modules.monitoring.domain.reading import Reading


def threshold_breaches(plan: CarePlan, reading: Reading) -> list[Breach]:
    """One breach per threshold rule of the reading's kind that the reading violates (worst band)."""
    breaches: list[Breach] = []
    for rule in plan.thresholds_for(reading.kind):
        match = rule.evaluate(reading.values)
        if match is None:
            continue
        breaches.append(
            Breach(
                patient_id=reading.patient_id,
                rule_id=rule.rule_id,
                category=THRESHOLD,
                severity=match.severity,
                metric=match.metric,
                value=match.value,
                observed_at=reading.measured_at,
                reading_id=reading.reading_id,
            )
        )
    return breaches


def missing_data_rule_id(kind: str) -> str:
    return f"missing-data-{kind}"


def missing_data_breach(
    policy: MissingDataPolicy,
    patient_id: str,
    kind: str,
    last_at: datetime,
    now: datetime,
    staff_resolved_at: datetime | None = None,
) -> Breach | None:
    """A breach when no reading of ``kind`` came for the policy's hours (0: not watched).

    Once a person resolved the alert for this silence (after the last reading), it is not raised
    again until data arrives: the team knows (a scale in repair, a patient in hospital).
    """
    hours = policy.hours_for(kind)
    silent = (now - last_at).total_seconds() / 3600
    if hours <= 0 or silent < hours:
        return None
    if staff_resolved_at is not None and staff_resolved_at >= last_at:
        return None
    return Breach(
        patient_id=patient_id,
        rule_id=missing_data_rule_id(kind),
        category=MISSING_DATA,
        severity=policy.severity,
        metric=None,
        value=round(silent, 1),
        observed_at=last_at,
    )
