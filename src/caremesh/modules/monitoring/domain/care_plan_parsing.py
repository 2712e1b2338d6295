"""Reading and writing care plans as plain data (the defaults file, the API's JSON), with every
problem reported at once so a care team fixes a rejected plan in one go."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from caremesh.modules.monitoring.domain.alert import SEVERITIES
from caremesh.modules.monitoring.domain.care_plan import (
    MASS_UNITS_KG,
    OPERATORS,
    CarePlan,
    Condition,
    DriftSettings,
    MissingDataPolicy,
    ThresholdRule,
    WeightGainRule,
)
from caremesh.modules.monitoring.domain.reading import METRIC_UNITS, READING_KINDS

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_MAX_RULES = 64


class CarePlanError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Reader:
    """Collects problems while reading fields, so one pass reports all of them."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def number(self, data: Mapping[str, Any], key: str, where: str, *, minimum: float = 0) -> float:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.problems.append(f"{where}.{key}: a number >= {minimum} is required")
            return minimum
        return float(value)

    def integer(self, data: Mapping[str, Any], key: str, where: str, *, minimum: int = 0) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problems.append(f"{where}.{key}: an integer >= {minimum} is required")
            return minimum
        return value

    def choice(self, value: Any, allowed: Any, where: str) -> str:
        if value not in allowed:
            self.problems.append(f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}")
        return str(value)

    def rule_id(self, value: Any, where: str, seen: set[str]) -> str:
        if not isinstance(value, str) or not _RULE_ID.match(value):
            self.problems.append(f"{where}.rule: lowercase letters, digits and '-' (1-64) are required")
        elif value in seen:
            self.problems.append(f"{where}.rule: {value!r} is used twice")
        seen.add(str(value))
        return str(value)

    def items(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if (
            not isinstance(value, list)
            or len(value) > _MAX_RULES
            or not all(isinstance(v, dict) for v in value)
        ):
            self.problems.append(f"{key}: a list of at most {_MAX_RULES} objects is required")
            return []
        return value

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.problems.append(f"{key}: an object is required")
            return {}
        return value


def _condition(r: _Reader, data: Mapping[str, Any], where: str, kind: str) -> Condition:
    metric = r.choice(data.get("metric"), READING_KINDS.get(kind, ()), f"{where}.metric")
    return Condition(
        metric=metric,
        op=r.choice(data.get("op"), tuple(OPERATORS), f"{where}.op"),
        limit=r.number(data, "limit", where, minimum=-1000),
        severity=r.choice(data.get("severity"), SEVERITIES, f"{where}.severity"),
    )


def _threshold(r: _Reader, data: Mapping[str, Any], where: str, seen: set[str]) -> ThresholdRule:
    rule_id = r.rule_id(data.get("rule"), where, seen)
    kind = r.choice(data.get("kind"), tuple(READING_KINDS), f"{where}.kind")
    raw = data.get("conditions")
    if not isinstance(raw, list) or not raw or not all(isinstance(c, dict) for c in raw):
        r.problems.append(f"{where}.conditions: a non-empty list of objects is required")
        raw = []
    conditions = tuple(_condition(r, c, f"{where}.conditions[{i}]", kind) for i, c in enumerate(raw))
    return ThresholdRule(rule_id=rule_id, kind=kind, conditions=conditions)


def _weight_gain(r: _Reader, data: Mapping[str, Any], where: str, seen: set[str]) -> WeightGainRule:
    return WeightGainRule(
        rule_id=r.rule_id(data.get("rule"), where, seen),
        hours=r.integer(data, "hours", where, minimum=1),
        max_gain=r.number(data, "max_gain", where, minimum=0.01),
        unit=r.choice(data.get("unit", "kg"), tuple(MASS_UNITS_KG), f"{where}.unit"),
        severity=r.choice(data.get("severity"), SEVERITIES, f"{where}.severity"),
    )


def _missing(r: _Reader, data: Mapping[str, Any]) -> MissingDataPolicy:
    by_kind = r.table(data, "hours")
    hours: dict[str, int] = {}
    for kind in by_kind:
        r.choice(kind, tuple(READING_KINDS), "missing_data.hours")
        hours[kind] = r.integer(by_kind, kind, "missing_data.hours")
    return MissingDataPolicy(
        default_hours=r.integer(data, "default_hours", "missing_data"),
        severity=r.choice(data.get("severity", "warning"), SEVERITIES, "missing_data.severity"),
        hours_by_kind=hours,
    )


def _drift(r: _Reader, data: Mapping[str, Any]) -> DriftSettings:
    metrics = data.get("metrics", [])
    if not isinstance(metrics, list):
        r.problems.append("drift.metrics: a list is required")
        metrics = []
    for metric in metrics:
        r.choice(metric, tuple(METRIC_UNITS), "drift.metrics")
    spread_table = r.table(data, "min_spread")
    spread = {m: r.number(spread_table, m, "drift.min_spread") for m in spread_table}
    return DriftSettings(
        metrics=frozenset(str(m) for m in metrics),
        window_days=r.integer(data, "window_days", "drift", minimum=1),
        min_samples=r.integer(data, "min_samples", "drift", minimum=3),
        mad_multiplier=r.number(data, "mad_multiplier", "drift", minimum=0.5),
        consecutive=r.integer(data, "consecutive", "drift", minimum=1),
        severity=r.choice(data.get("severity", "low"), SEVERITIES, "drift.severity"),
        min_spread=spread,
    )


def care_plan_from_dict(data: Mapping[str, Any]) -> CarePlan:
    r, seen = _Reader(), set[str]()
    thresholds = tuple(
        _threshold(r, item, f"thresholds[{i}]", seen) for i, item in enumerate(r.items(data, "thresholds"))
    )
    gains = tuple(
        _weight_gain(r, item, f"weight_gain[{i}]", seen)
        for i, item in enumerate(r.items(data, "weight_gain"))
    )
    escalation_table = r.table(data, "escalation_minutes")
    for severity in escalation_table:
        r.choice(severity, SEVERITIES, "escalation_minutes")
    plan = CarePlan(
        thresholds=thresholds,
        weight_gain=gains,
        missing_data=_missing(r, r.table(data, "missing_data")),
        drift=_drift(r, r.table(data, "drift")),
        escalation_minutes={
            s: r.integer(escalation_table, s, "escalation_minutes") for s in escalation_table
        },
        rate_cap_per_hour=r.integer(data, "rate_cap_per_hour", "plan"),
    )
    if r.problems:
        raise CarePlanError(r.problems)
    return plan


def care_plan_to_dict(plan: CarePlan) -> dict[str, Any]:
    drift = plan.drift
    return {
        "rate_cap_per_hour": plan.rate_cap_per_hour,
        "escalation_minutes": dict(plan.escalation_minutes),
        "thresholds": [
            {
                "rule": t.rule_id,
                "kind": t.kind,
                "conditions": [
                    {"metric": c.metric, "op": c.op, "limit": c.limit, "severity": c.severity}
                    for c in t.conditions
                ],
            }
            for t in plan.thresholds
        ],
        "weight_gain": [
            {
                "rule": w.rule_id,
                "hours": w.hours,
                "max_gain": w.max_gain,
                "unit": w.unit,
                "severity": w.severity,
            }
            for w in plan.weight_gain
        ],
        "missing_data": {
            "default_hours": plan.missing_data.default_hours,
            "severity": plan.missing_data.severity,
            "hours": dict(plan.missing_data.hours_by_kind),
        },
        "drift": {
            "metrics": sorted(drift.metrics),
            "window_days": drift.window_days,
            "min_samples": drift.min_samples,
            "mad_multiplier": drift.mad_multiplier,
            "consecutive": drift.consecutive,
            "severity": drift.severity,
            "min_spread": dict(drift.min_spread),
        },
    }


@cache
def default_care_plan() -> CarePlan:
    """The plan in ``care_plan_defaults.toml``, shipped with the package."""
    text = (
        resources.files("caremesh.modules.monitoring.domain")
        .joinpath("care_plan_defaults.toml")
        .read_text(encoding="utf-8")
    )
    return care_plan_from_dict(tomllib.loads(text))
