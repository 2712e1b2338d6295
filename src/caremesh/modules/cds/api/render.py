"""Published cards rendered as CDS Hooks 2.0 JSON (optional attributes omitted, never null)."""

from __future__ import annotations

from typing import Any

from caremesh.contracts.cds import Card, OrderCheckResult, Unrecognized

RULE_SYSTEM = "https://caremesh.dev/fhir/CodeSystem/cds-rule"
KIND_DISPLAY = {
    "drug-drug": "Drug-drug interaction",
    "drug-allergy": "Drug-allergy",
    "duplicate-therapy": "Duplicate therapy",
    "max-dose": "Maximum dose",
}


def hooks_response(result: OrderCheckResult) -> dict[str, Any]:
    """Suppressed cards were shown earlier in the encounter: they are not repeated to the user."""
    cards = [card_json(card) for card in result.cards if not card.suppressed]
    drafts = [item for item in result.unrecognized if item.role == "draft"]
    context = [item for item in result.unrecognized if item.role != "draft"]
    cards += [_not_checked(item, result.knowledge_version) for item in drafts]
    if context:
        cards.append(_context_not_checked(context, result.knowledge_version))
    return {"cards": cards}


def card_json(card: Card) -> dict[str, Any]:
    source: dict[str, Any] = {
        "label": card.source_label,
        "topic": {"system": RULE_SYSTEM, "code": card.rule_id, "display": KIND_DISPLAY[card.kind]},
    }
    if card.source_url:
        source["url"] = card.source_url
    body: dict[str, Any] = {
        "uuid": card.uuid,
        "summary": card.summary,
        "indicator": card.indicator,
        "source": source,
    }
    if card.detail:
        body["detail"] = card.detail
    if card.suggestions:
        body["suggestions"] = [
            {
                "label": s.label,
                "uuid": s.uuid,
                "isRecommended": s.is_recommended,
                **({"actions": s.actions} if s.actions else {}),
            }
            for s in card.suggestions
        ]
        body["selectionBehavior"] = "at-most-one"
    if card.override_reasons:
        body["overrideReasons"] = [
            {"system": r.system, "code": r.code, "display": r.display} for r in card.override_reasons
        ]
    return body


def _not_checked(item: Unrecognized, version: str) -> dict[str, Any]:
    """Not checked is not safe: each draft nobody could check gets a warning of its own."""
    name = _name(item)
    return {
        "summary": f"Not checked: {name} is not in the medication-safety knowledge"[:139],
        "indicator": "warning",
        "detail": (
            f"No RxNorm ingredient matched {name}: interactions, allergies, duplicates and doses of this"
            f" order were not checked (knowledge version {version}). Verify manually."
        ),
        "source": _knowledge_source(),
    }


def _context_not_checked(items: list[Unrecognized], version: str) -> dict[str, Any]:
    """One quiet card for the patient's medications and allergies the knowledge does not cover."""
    names = ", ".join(sorted({_name(item) for item in items}))
    return {
        "summary": f"Check incomplete: {len(items)} current medication(s) or allergies not recognised"[:139],
        "indicator": "info",
        "detail": f"Not covered by knowledge version {version}, so not checked against this order: {names}.",
        "source": _knowledge_source(),
    }


def _name(item: Unrecognized) -> str:
    return item.coding.display or item.coding.code or "an unnamed item"


def _knowledge_source() -> dict[str, Any]:
    return {
        "label": "caremesh medication-safety knowledge",
        "topic": {"system": RULE_SYSTEM, "code": "cds.unrecognized", "display": "Not checked"},
    }
