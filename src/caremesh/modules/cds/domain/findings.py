"""What a check looks at (drugs, allergies) and what it finds, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from caremesh.modules.cds.domain.knowledge import Indicator, Source

Kind = Literal["drug-drug", "drug-allergy", "duplicate-therapy", "max-dose"]


@dataclass(frozen=True)
class Drug:
    """A medication resolved to its RxNorm ingredients; ``draft`` when it is being ordered now."""

    ref: str  # the order id, or a position label when the caller gave none
    label: str
    ingredients: frozenset[str]
    draft: bool
    order_id: str | None = None
    daily_dose: float | None = None
    dose_unit: str | None = None  # UCUM unit of daily_dose
    route: str | None = None


@dataclass(frozen=True)
class Allergy:
    ref: str
    label: str
    ingredients: frozenset[str]
    classes: frozenset[str]  # when the allergy is recorded against a class ("penicillins")
    high_criticality: bool = False
    unconfirmed: bool = False


@dataclass(frozen=True)
class Finding:
    rule_id: str
    kind: Kind
    indicator: Indicator
    summary: str
    detail: str
    source: Source
    draft_ref: str  # the draft the card is about (the target of a "remove" suggestion)
    # What makes this alert "the same" within an encounter: the rule and what it matched,
    # e.g. the two ingredients of an interaction, independent of which order came first.
    subject_key: str
    draft_order_id: str | None = None
    alternatives: tuple[tuple[str, str], ...] = ()  # (RXCUI, name) of safer drugs to order instead


def summary_text(text: str, limit: int = 140) -> str:
    """CDS Hooks wants a one-sentence summary under 140 characters."""
    if len(text) < limit:
        return text
    return text[: limit - 2].rstrip() + "…"
