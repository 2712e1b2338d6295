"""Findings become published cards: a fresh uuid, a removal suggestion and fitting override reasons."""

from __future__ import annotations

from uuid import uuid4

from caremesh.contracts.cds import Card, OverrideReason, Suggestion
from caremesh.modules.cds.domain.findings import Finding, summary_text
from caremesh.modules.cds.domain.knowledge import RXNORM

_COMMON_REASONS = (
    OverrideReason(code="benefit-outweighs-risk", display="Benefit outweighs the risk for this patient"),
    OverrideReason(code="will-monitor", display="Will monitor the patient / adjust the dose"),
)
_REASONS_BY_KIND = {
    "drug-drug": (
        OverrideReason(code="patient-tolerated-before", display="Patient has taken this combination safely"),
        OverrideReason(code="not-taking-other", display="Patient no longer takes the other medication"),
    ),
    "drug-allergy": (
        OverrideReason(code="patient-tolerated-before", display="Patient has tolerated this drug before"),
        OverrideReason(
            code="allergy-inaccurate", display="Allergy record is inaccurate or is an intolerance"
        ),
        OverrideReason(
            code="premedicated-or-desensitised", display="Premedicated or desensitisation planned"
        ),
    ),
    "duplicate-therapy": (
        OverrideReason(code="intended-duplicate", display="Intended (switch, cross-taper or combination)"),
        OverrideReason(code="not-taking-other", display="Patient no longer takes the other medication"),
    ),
    "max-dose": (
        OverrideReason(code="dose-intended", display="Dose is intended (e.g. loading or specialist regimen)"),
    ),
}


def override_reasons(kind: str) -> list[OverrideReason]:
    return [*_REASONS_BY_KIND.get(kind, ()), *_COMMON_REASONS]


def known_reason_codes() -> frozenset[str]:
    reasons = [*_COMMON_REASONS, *(r for group in _REASONS_BY_KIND.values() for r in group)]
    return frozenset(reason.code for reason in reasons)


def card_for(finding: Finding, *, suppressed: bool, patient_id: str) -> Card:
    return Card(
        uuid=str(uuid4()),
        rule_id=finding.rule_id,
        kind=finding.kind,
        indicator=finding.indicator,
        summary=summary_text(finding.summary),
        detail=finding.detail,
        source_label=finding.source.label,
        source_url=finding.source.url,
        suggestions=_suggestions(finding, patient_id),
        override_reasons=override_reasons(finding.kind),
        suppressed=suppressed,
        order_id=finding.draft_order_id,
    )


def _suggestions(finding: Finding, patient_id: str) -> list[Suggestion]:
    """Remove the draft; where the knowledge names safer drugs, or replace it with one of them."""
    if finding.draft_order_id is None:
        return []
    remove: dict[str, object] = {
        "type": "delete",
        "description": "Remove this draft medication order",
        "resourceId": f"MedicationRequest/{finding.draft_order_id}",
    }
    critical = finding.indicator == "critical"
    suggestions = [
        Suggestion(label="Remove the new order", uuid=str(uuid4()), is_recommended=critical, actions=[remove])
    ]
    for rxcui, name in finding.alternatives:
        create: dict[str, object] = {
            "type": "create",
            "description": f"Order {name} instead (choose the dose)",
            "resource": _draft_request(patient_id, rxcui, name),
        }
        label = f"Replace with {name}"
        suggestions.append(Suggestion(label=label, uuid=str(uuid4()), actions=[remove, create]))
    return suggestions


def _draft_request(patient_id: str, rxcui: str, name: str) -> dict[str, object]:
    return {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{patient_id}"},
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": rxcui, "display": name}]},
    }
