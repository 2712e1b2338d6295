"""Maximum daily doses of high-risk drugs, and the total opioid load in morphine milligram equivalents."""

from __future__ import annotations

from caremesh.modules.cds.domain.findings import Drug, Finding
from caremesh.modules.cds.domain.knowledge import DoseLimit, Indicator, Knowledge

TO_MG = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "ng": 0.000001}
PER_DAY = ("/d", "/day")
MICROGRAMS_PER_HOUR = {"ug/h", "mcg/h", "ug/hr", "mcg/hr"}


def milligrams_per_day(drug: Drug) -> float | None:
    """The daily dose in mg when its unit is a mass (optionally written per day), else None."""
    if drug.daily_dose is None or drug.dose_unit is None:
        return None
    unit = drug.dose_unit.strip().lower()
    for suffix in PER_DAY:
        unit = unit.removesuffix(suffix)
    factor = TO_MG.get(unit)
    return None if factor is None else drug.daily_dose * factor


def dose_findings(kb: Knowledge, drafts: list[Drug], others: list[Drug]) -> list[Finding]:
    findings = [finding for draft in drafts if (finding := _limit_finding(kb, draft)) is not None]
    opioid = _opioid_finding(kb, drafts, others)
    if opioid is not None:
        findings.append(opioid)
    return findings


def _limit_finding(kb: Knowledge, draft: Drug) -> Finding | None:
    if len(draft.ingredients) != 1:  # a combination's daily dose does not say how much of each
        return None
    (ingredient,) = draft.ingredients
    limit = kb.dose_limits.get(ingredient)
    dose = milligrams_per_day(draft)
    if limit is None or dose is None or not _route_applies(limit, draft):
        return None
    indicator: Indicator | None = None
    if limit.critical_above is not None and dose > limit.critical_above:
        indicator, ceiling = "critical", limit.critical_above
    elif limit.warning_above is not None and dose > limit.warning_above:
        indicator, ceiling = "warning", limit.warning_above
    if indicator is None:
        return None
    name = kb.name(ingredient)
    return Finding(
        rule_id=limit.id,
        kind="max-dose",
        indicator=indicator,
        summary=f"Dose above maximum: {name} {_fmt(dose)} mg/day (limit {_fmt(ceiling)} mg/day)",
        detail=limit.detail,
        source=limit.source,
        draft_ref=draft.ref,
        subject_key=f"{limit.id}|{ingredient}|{_fmt(dose)}",
        draft_order_id=draft.order_id,
    )


def _route_applies(limit: DoseLimit, draft: Drug) -> bool:
    return not limit.routes or draft.route is None or draft.route.lower() in limit.routes


def _opioid_finding(kb: Knowledge, drafts: list[Drug], others: list[Drug]) -> Finding | None:
    rules = kb.opioids
    ordered = [draft for draft in drafts if _is_opioid(kb, draft)]
    if not ordered:
        return None
    total, uncounted = 0.0, []
    for drug in [*drafts, *others]:
        if not _is_opioid(kb, drug):
            continue
        mme = _mme(kb, drug)
        if mme is None:
            uncounted.append(drug.label)
        else:
            total += mme
    if total < rules.warning_at:
        return None
    indicator: Indicator = "critical" if total >= rules.critical_at else "warning"
    threshold = rules.critical_at if indicator == "critical" else rules.warning_at
    detail = rules.detail
    if uncounted:
        detail += f" Not counted (dose or unit unknown): {', '.join(uncounted)}."
    return Finding(
        rule_id=rules.id,
        kind="max-dose",
        indicator=indicator,
        summary=f"Opioid load {_fmt(total)} MME/day (threshold {_fmt(threshold)})",
        detail=detail,
        source=rules.source,
        draft_ref=ordered[0].ref,
        subject_key=rules.id,  # one running total per encounter: a higher tier is an escalation
        draft_order_id=ordered[0].order_id,
    )


def _is_opioid(kb: Knowledge, drug: Drug) -> bool:
    factors = kb.opioids
    return any(rx in factors.factors_per_mg or rx in factors.factors_per_ug_per_h for rx in drug.ingredients)


def _mme(kb: Knowledge, drug: Drug) -> float | None:
    if len(drug.ingredients) != 1:
        return None
    (ingredient,) = drug.ingredients
    unit = (drug.dose_unit or "").strip().lower()
    if unit in MICROGRAMS_PER_HOUR and drug.daily_dose is not None:
        factor = kb.opioids.factors_per_ug_per_h.get(ingredient)
        return None if factor is None else drug.daily_dose * factor
    mg = milligrams_per_day(drug)
    factor = kb.opioids.factors_per_mg.get(ingredient)
    return None if mg is None or factor is None else mg * factor


def _fmt(value: float) -> str:
    return f"{value:.3g}" if value < 10 else f"{value:.0f}"
