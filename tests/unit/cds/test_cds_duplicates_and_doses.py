"""Duplicate therapy and maximum daily dose rules, at and around their thresholds."""

from __future__ import annotations

import pytest
from cds_kb import drug, only, run


def kinds(findings: list, kind: str) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(f.rule_id, f.indicator) for f in only(findings, kind)]


def test_the_same_ingredient_ordered_twice_is_critical() -> None:
    findings = run([drug("warfarin"), drug("warfarin")])
    assert kinds(findings, "duplicate-therapy") == [("duplicate.same-ingredient-ordered-twice", "critical")]


def test_an_ingredient_the_patient_already_takes_warns() -> None:
    findings = run([drug("omeprazole")], [drug("omeprazole", draft=False)])
    assert kinds(findings, "duplicate-therapy") == [("duplicate.same-ingredient-already-taking", "warning")]


def test_a_recheck_of_an_order_already_active_is_not_a_duplicate() -> None:
    findings = run([drug("omeprazole", order_id="mr-1")], [drug("omeprazole", draft=False, order_id="mr-1")])
    assert only(findings, "duplicate-therapy") == []


def test_the_same_therapeutic_class_warns() -> None:
    findings = run([drug("pantoprazole")], [drug("omeprazole", draft=False)])
    assert kinds(findings, "duplicate-therapy") == [("duplicate.same-therapeutic-class", "warning")]


def test_classes_that_are_not_therapeutic_groups_are_not_duplicates() -> None:
    # both are "strong CYP3A4 inhibitors", a pharmacokinetic grouping, not one therapy
    assert only(run([drug("clarithromycin")], [drug("ketoconazole", draft=False)]), "duplicate-therapy") == []


@pytest.mark.parametrize(
    ("name", "dose", "unit", "expected"),
    [
        ("acetaminophen", 4000, "mg", []),
        ("acetaminophen", 4001, "mg", [("dose.acetaminophen", "critical")]),
        ("acetaminophen", 6, "g", [("dose.acetaminophen", "critical")]),
        ("colchicine", 1.2, "mg", []),
        ("colchicine", 1.8, "mg", [("dose.colchicine", "warning")]),
        ("colchicine", 2.5, "mg", [("dose.colchicine", "critical")]),
        ("colchicine", 1800, "ug", [("dose.colchicine", "warning")]),
        ("digoxin", 0.25, "mg", []),
        ("digoxin", 0.5, "mg", [("dose.digoxin", "warning")]),
        ("warfarin", 12.5, "mg", [("dose.warfarin", "warning")]),
        ("acetaminophen", 5, "mL", []),  # not a mass: not computable, no guess
    ],
)
def test_daily_dose_limits(name: str, dose: float, unit: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(run([drug(name, dose=dose, unit=unit)]), "max-dose") == expected


def test_methotrexate_daily_instead_of_weekly_is_critical_for_oral_use_only() -> None:
    weekly = 15 / 7
    assert kinds(run([drug("methotrexate", dose=weekly, route="oral")]), "max-dose") == []
    assert kinds(run([drug("methotrexate", dose=15, route="oral")]), "max-dose") == [
        ("dose.methotrexate-weekly", "critical")
    ]
    assert kinds(run([drug("methotrexate", dose=15)]), "max-dose") == [
        ("dose.methotrexate-weekly", "critical")
    ]
    assert kinds(run([drug("methotrexate", dose=15, route="intravenous")]), "max-dose") == []


def test_opioid_load_counts_active_and_draft_opioids_in_mme() -> None:
    # oxycodone 20 mg/d = 30 MME; + morphine 30 mg/d active = 60 MME -> warning
    findings = run([drug("oxycodone", dose=20)], [drug("morphine", draft=False, dose=30)])
    assert kinds(findings, "max-dose") == [("dose.opioid-mme", "warning")]
    # + hydromorphone 4 mg/d (20 MME) -> 80; + fentanyl 25 ug/h (60 MME) -> 140 -> critical
    active = [drug("morphine", draft=False, dose=30), drug("fentanyl", draft=False, dose=25, unit="ug/h")]
    assert kinds(run([drug("oxycodone", dose=20)], active), "max-dose") == [("dose.opioid-mme", "critical")]
    assert kinds(run([drug("oxycodone", dose=20)]), "max-dose") == []  # 30 MME


def test_opioid_load_is_only_news_when_an_opioid_is_ordered() -> None:
    active = [drug("morphine", draft=False, dose=200)]
    assert only(run([drug("acetaminophen", dose=1000)], active), "max-dose") == []


def test_opioid_without_a_dose_is_named_as_not_counted() -> None:
    findings = only(run([drug("oxycodone", dose=60)], [drug("hydrocodone", draft=False)]), "max-dose")
    assert findings[0].indicator == "critical" and "Not counted" in findings[0].detail
