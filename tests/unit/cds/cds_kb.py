"""Builders for the cds unit tests: drugs and allergies by ingredient name, using the shipped knowledge."""

from __future__ import annotations

from itertools import count

from caremesh.modules.cds.adapters.knowledge_files import load_knowledge
from caremesh.modules.cds.domain.engine import check
from caremesh.modules.cds.domain.findings import Allergy, Drug, Finding
from caremesh.modules.cds.domain.knowledge import Knowledge

KB: Knowledge = load_knowledge()
_refs = count(1)


def rxcui(name: str) -> str:
    matches = [code for code, known in KB.names.items() if known == name]
    assert matches, f"{name} is not in the knowledge"
    return matches[0]


def drug(
    name: str, *, draft: bool = True, dose: float | None = None, unit: str = "mg", **extra: object
) -> Drug:
    ref = str(extra.pop("order_id", f"order-{next(_refs)}"))
    return Drug(
        ref=ref,
        label=name,
        ingredients=frozenset(rxcui(part) for part in name.split(" / ")),
        draft=draft,
        order_id=ref,
        daily_dose=dose,
        dose_unit=unit if dose is not None else None,
        route=extra.pop("route", None),  # type: ignore[arg-type]
    )


def allergy(
    *,
    ingredient: str | None = None,
    classes: tuple[str, ...] = (),
    high: bool = False,
    unconfirmed: bool = False,
) -> Allergy:
    return Allergy(
        ref=f"allergy-{next(_refs)}",
        label=ingredient or ", ".join(classes),
        ingredients=frozenset({rxcui(ingredient)}) if ingredient else frozenset(),
        classes=frozenset(classes),
        high_criticality=high,
        unconfirmed=unconfirmed,
    )


def run(
    drafts: list[Drug], active: list[Drug] | None = None, allergies: list[Allergy] | None = None
) -> list[Finding]:
    return check(KB, drafts, active or [], allergies or [])


def only(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]
