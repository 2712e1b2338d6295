"""Drug-drug interactions between each draft and every other medication (drafts and active ones)."""

from __future__ import annotations

from dataclasses import dataclass

from caremesh.modules.cds.domain.findings import Drug, Finding
from caremesh.modules.cds.domain.knowledge import RANK, InteractionRule, Knowledge, Pairing

SEVERITY_LABEL = {
    "contraindicated": "Contraindicated",
    "major": "Major interaction",
    "moderate": "Interaction",
}


@dataclass(frozen=True)
class _Hit:
    pairing: Pairing
    draft: Drug
    other: Drug
    draft_ingredient: str
    other_ingredient: str

    @property
    def rule(self) -> InteractionRule:
        return self.pairing.rule


def interaction_findings(kb: Knowledge, drafts: list[Drug], others: list[Drug]) -> list[Finding]:
    by_pair: dict[frozenset[str], list[_Hit]] = {}
    for hit in _hits(kb, drafts, [*drafts, *others]):
        by_pair.setdefault(frozenset({hit.draft.ref, hit.other.ref}), []).append(hit)
    return [_finding(kb, hits) for hits in by_pair.values()]


def _hits(kb: Knowledge, drafts: list[Drug], everyone: list[Drug]) -> list[_Hit]:
    hits: list[_Hit] = []
    seen: set[tuple[str, frozenset[str], frozenset[str]]] = set()
    for draft in drafts:
        for ingredient in draft.ingredients:
            for pairing in kb.pairings.get(ingredient, ()):
                for other in everyone:
                    if other is draft:
                        continue
                    for partner in other.ingredients & pairing.partners:
                        if partner == ingredient:  # the same drug twice is duplicate therapy
                            continue
                        key = (
                            pairing.rule.id,
                            frozenset({ingredient, partner}),
                            frozenset({draft.ref, other.ref}),
                        )
                        if key not in seen:
                            seen.add(key)
                            hits.append(_Hit(pairing, draft, other, ingredient, partner))
    return hits


def _finding(kb: Knowledge, hits: list[_Hit]) -> Finding:
    """One card per pair of medications: the most severe rule leads, the others are listed below it."""
    hits.sort(key=lambda hit: (-RANK[hit.rule.indicator], hit.rule.id))
    lead = hits[0]
    rule = lead.rule
    first, second = kb.name(lead.draft_ingredient), kb.name(lead.other_ingredient)
    taking = "ordered together" if lead.other.draft else "already taking"
    detail = [
        f"**{first}** ({lead.draft.label}) with **{second}** ({lead.other.label}, {taking}).",
        f"**Mechanism:** {rule.mechanism}",
        f"**Management:** {rule.management}",
    ]
    detail += [f"Also: {hit.rule.summary} ({SEVERITY_LABEL[hit.rule.severity].lower()})." for hit in hits[1:]]
    pair = "+".join(sorted({lead.draft_ingredient, lead.other_ingredient}))
    return Finding(
        rule_id=rule.id,
        kind="drug-drug",
        indicator=rule.indicator,
        summary=f"{SEVERITY_LABEL[rule.severity]}: {first} + {second}: {rule.summary}",
        detail="\n\n".join(detail),
        source=rule.source,
        draft_ref=lead.draft.ref,
        subject_key=f"{rule.id}|{pair}",
        draft_order_id=lead.draft.order_id,
        alternatives=tuple(
            (rxcui, kb.name(rxcui))
            for rxcui in lead.pairing.alternatives
            if rxcui not in lead.draft.ingredients
        ),
    )
