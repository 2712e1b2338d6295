"""Drug-allergy checks: the allergen itself, its class, and cross-sensitive classes."""

from __future__ import annotations

from caremesh.modules.cds.domain.findings import Allergy, Drug, Finding
from caremesh.modules.cds.domain.knowledge import RANK, CrossSensitivity, Indicator, Knowledge

DIRECT_RULE = "allergy.same-ingredient"
CLASS_RULE = "allergy.class-member"


def allergy_findings(kb: Knowledge, drafts: list[Drug], allergies: list[Allergy]) -> list[Finding]:
    findings: list[Finding] = []
    for allergy in allergies:
        allergen_groups = kb.groups_of(allergy.ingredients) | allergy.classes
        for draft in drafts:
            finding = _check(kb, allergy, allergen_groups, draft)
            if finding is not None:
                findings.append(finding)
    return findings


def _check(kb: Knowledge, allergy: Allergy, allergen_groups: frozenset[str], draft: Drug) -> Finding | None:
    drug_groups = kb.groups_of(draft.ingredients)
    if draft.ingredients & allergy.ingredients:
        detail = f"The patient is allergic to {allergy.label}, an ingredient of {draft.label}."
        return _finding(kb, allergy, draft, DIRECT_RULE, "critical", detail)
    if allergy.classes & drug_groups:
        detail = f"The patient's allergy to {allergy.label} covers {draft.label}, a member of that class."
        return _finding(kb, allergy, draft, CLASS_RULE, "critical", detail)
    best: tuple[CrossSensitivity, Indicator] | None = None
    for group in allergen_groups:
        for cross in kb.cross_by_group.get(group, ()):
            indicator = _indicator(cross, allergy)
            if indicator is None or cross.drug_class not in drug_groups:
                continue
            if best is None or _better(kb, (cross, indicator), best):
                best = (cross, indicator)
    if best is None:
        return None
    cross, indicator = best
    detail = f"Allergy to {allergy.label}; {draft.label} may cross-react. {cross.detail}"
    return _finding(kb, allergy, draft, cross.id, indicator, detail, cross)


def _indicator(cross: CrossSensitivity, allergy: Allergy) -> Indicator | None:
    if allergy.high_criticality and cross.indicator_if_high is not None:
        return cross.indicator_if_high
    return cross.indicator


def _better(
    kb: Knowledge, candidate: tuple[CrossSensitivity, Indicator], best: tuple[CrossSensitivity, Indicator]
) -> bool:
    """More severe wins; at equal severity the narrower (more specific) drug class wins."""
    if RANK[candidate[1]] != RANK[best[1]]:
        return RANK[candidate[1]] > RANK[best[1]]
    return len(kb.classes[candidate[0].drug_class].members) < len(kb.classes[best[0].drug_class].members)


def _finding(
    kb: Knowledge,
    allergy: Allergy,
    draft: Drug,
    rule_id: str,
    indicator: Indicator,
    detail: str,
    cross: CrossSensitivity | None = None,
) -> Finding:
    if allergy.unconfirmed:
        detail += " The allergy is recorded as unconfirmed."
    allergen = "+".join(sorted(allergy.ingredients | allergy.classes)) or allergy.ref
    drug = "+".join(sorted(draft.ingredients))
    kind_of = "Allergy" if cross is None else "Possible cross-sensitivity"
    return Finding(
        rule_id=rule_id,
        kind="drug-allergy",
        indicator=indicator,
        summary=f"{kind_of}: {draft.label} in a patient allergic to {allergy.label}",
        detail=detail,
        source=cross.source if cross is not None else kb.allergy_source,
        draft_ref=draft.ref,
        subject_key=f"{rule_id}|{allergen}|{drug}",
        draft_order_id=draft.order_id,
    )
