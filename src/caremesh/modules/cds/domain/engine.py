"""Runs every rule kind over one patient's drafts, active medications and allergies."""

from __future__ import annotations

from caremesh.modules.cds.domain.allergies import allergy_findings
from caremesh.modules.cds.domain.doses import dose_findings
from caremesh.modules.cds.domain.duplicates import duplicate_findings
from caremesh.modules.cds.domain.findings import Allergy, Drug, Finding
from caremesh.modules.cds.domain.interactions import interaction_findings
from caremesh.modules.cds.domain.knowledge import RANK, Knowledge

KIND_ORDER = {"drug-allergy": 0, "drug-drug": 1, "duplicate-therapy": 2, "max-dose": 3}


def check(kb: Knowledge, drafts: list[Drug], active: list[Drug], allergies: list[Allergy]) -> list[Finding]:
    """Findings about the drafts only: interactions among active medications are not this order's news."""
    findings = [
        *allergy_findings(kb, drafts, allergies),
        *interaction_findings(kb, drafts, active),
        *duplicate_findings(kb, drafts, active),
        *dose_findings(kb, drafts, active),
    ]
    findings.sort(key=lambda f: (-RANK[f.indicator], KIND_ORDER[f.kind], f.rule_id, f.subject_key))
    return findings
