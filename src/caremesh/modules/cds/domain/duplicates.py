"""Duplicate therapy: the same ingredient, or two members of one therapeutic class."""

from __future__ import annotations

from caremesh.modules.cds.domain.findings import Drug, Finding
from caremesh.modules.cds.domain.knowledge import Knowledge, Source

SAME_DRAFT_RULE = "duplicate.same-ingredient-ordered-twice"
SAME_ACTIVE_RULE = "duplicate.same-ingredient-already-taking"
SAME_CLASS_RULE = "duplicate.same-therapeutic-class"
SOURCE = Source(
    "caremesh knowledge: therapeutic classes curated by RxNorm ingredient (docs/cds-knowledge.md)"
)


def duplicate_findings(kb: Knowledge, drafts: list[Drug], others: list[Drug]) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[frozenset[str]] = set()
    for draft in drafts:
        for other in [*drafts, *others]:
            pair = frozenset({draft.ref, other.ref})
            if other is draft or pair in seen or _same_order(draft, other):
                continue
            seen.add(pair)
            finding = _duplicate(kb, draft, other)
            if finding is not None:
                findings.append(finding)
    return findings


def _same_order(draft: Drug, other: Drug) -> bool:
    # A re-check of an order already on the active list must not flag the order against itself.
    return draft.order_id is not None and draft.order_id == other.order_id


def _duplicate(kb: Knowledge, draft: Drug, other: Drug) -> Finding | None:
    shared = draft.ingredients & other.ingredients
    if shared:
        names = ", ".join(sorted(kb.name(rxcui) for rxcui in shared))
        if other.draft:
            rule, indicator = SAME_DRAFT_RULE, "critical"
            summary = f"Duplicate order: {names} is ordered twice ({draft.label}; {other.label})"
            detail = "Two draft orders contain the same ingredient: signing both would double the dose."
        else:
            rule, indicator = SAME_ACTIVE_RULE, "warning"
            summary = f"Duplicate therapy: the patient already takes {names} ({other.label})"
            detail = "If this replaces the current prescription, discontinue the existing one."
        key = f"{rule}|{'+'.join(sorted(shared))}"
        return _finding(rule, indicator, summary, detail, draft, key)
    common = _therapeutic_classes(kb, draft) & _therapeutic_classes(kb, other)
    if not common:
        return None
    class_names = ", ".join(sorted(kb.classes[class_id].name.lower() for class_id in common))
    summary = f"Therapeutic duplication: {draft.label} and {other.label} are both {class_names}"
    detail = (
        "Two drugs of the same therapeutic class add risk without added benefit"
        " unless intended (e.g. a switch or cross-taper)."
    )
    pair = "+".join(sorted(draft.ingredients | other.ingredients))
    return _finding(SAME_CLASS_RULE, "warning", summary, detail, draft, f"{SAME_CLASS_RULE}|{pair}")


def _therapeutic_classes(kb: Knowledge, drug: Drug) -> set[str]:
    return {
        class_id
        for class_id in kb.groups_of(drug.ingredients)
        if class_id in kb.classes and kb.classes[class_id].therapeutic
    }


def _finding(rule: str, indicator: str, summary: str, detail: str, draft: Drug, key: str) -> Finding:
    return Finding(
        rule_id=rule,
        kind="duplicate-therapy",
        indicator="critical" if indicator == "critical" else "warning",
        summary=summary,
        detail=detail,
        source=SOURCE,
        draft_ref=draft.ref,
        subject_key=key,
        draft_order_id=draft.order_id,
    )
