"""The medication-safety knowledge, indexed once so that every check is a handful of dict lookups.

Everything is keyed by RxNorm ingredient (RXCUI). A drug class is a set of ingredients; a rule
names classes and ingredients and is expanded to ingredient sets when the knowledge is built.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

Indicator = Literal["info", "warning", "critical"]
RANK: Mapping[str, int] = {"info": 1, "warning": 2, "critical": 3}

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@dataclass(frozen=True)
class Source:
    label: str
    url: str | None = None


@dataclass(frozen=True)
class DrugClass:
    id: str
    name: str
    members: frozenset[str]
    therapeutic: bool  # members are alternatives for one purpose: two of them are duplicate therapy


@dataclass(frozen=True)
class InteractionRule:
    id: str
    severity: str  # contraindicated | major | moderate
    indicator: Indicator
    side_a: frozenset[str]
    side_b: frozenset[str]
    summary: str
    mechanism: str
    management: str
    source: Source
    # Safer ingredients to suggest instead of a draft on side A / side B.
    alternatives_a: tuple[str, ...] = ()
    alternatives_b: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrossSensitivity:
    id: str
    allergen_group: str  # class id the allergen belongs to
    drug_class: str
    indicator: Indicator | None  # None: evidence says no card
    indicator_if_high: Indicator | None
    detail: str
    source: Source


@dataclass(frozen=True)
class DoseLimit:
    id: str
    ingredient: str
    warning_above: float | None  # mg per day
    critical_above: float | None
    routes: frozenset[str]  # empty: any route
    detail: str
    source: Source


@dataclass(frozen=True)
class OpioidLimit:
    id: str
    factors_per_mg: Mapping[str, float]
    factors_per_ug_per_h: Mapping[str, float]
    warning_at: float
    critical_at: float
    detail: str
    source: Source


@dataclass(frozen=True)
class AllergenTarget:
    ingredients: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pairing:
    """One side of an interaction rule an ingredient is on, and what it must meet on the other side."""

    rule: InteractionRule
    partners: frozenset[str]
    alternatives: tuple[str, ...] = ()  # for a draft on this side


_WORD = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")


def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


@dataclass
class Knowledge:
    version: str
    names: dict[str, str]
    classes: dict[str, DrugClass]
    interactions: list[InteractionRule]
    allergens: dict[tuple[str, str], AllergenTarget]
    cross_sensitivities: list[CrossSensitivity]
    dose_limits: dict[str, DoseLimit]
    opioids: OpioidLimit
    allergy_source: Source
    allergen_terms: dict[tuple[str, ...], AllergenTarget] = field(default_factory=dict)
    classes_of: dict[str, frozenset[str]] = field(init=False)
    pairings: dict[str, tuple[Pairing, ...]] = field(init=False)
    cross_by_group: dict[str, tuple[CrossSensitivity, ...]] = field(init=False)
    _name_index: dict[tuple[str, ...], str] = field(init=False)
    _longest_name: int = field(init=False)

    def __post_init__(self) -> None:
        membership: dict[str, set[str]] = defaultdict(set)
        for drug_class in self.classes.values():
            for member in drug_class.members:
                membership[member].add(drug_class.id)
        self.classes_of = {rxcui: frozenset(ids) for rxcui, ids in membership.items()}
        pairings: dict[str, list[Pairing]] = defaultdict(list)
        for rule in self.interactions:
            for member in rule.side_a:
                pairings[member].append(Pairing(rule, rule.side_b, rule.alternatives_a))
            for member in rule.side_b:
                if member not in rule.side_a or rule.side_a != rule.side_b:
                    pairings[member].append(Pairing(rule, rule.side_a, rule.alternatives_b))
        self.pairings = {rxcui: tuple(items) for rxcui, items in pairings.items()}
        by_group: dict[str, list[CrossSensitivity]] = defaultdict(list)
        for cross in self.cross_sensitivities:
            by_group[cross.allergen_group].append(cross)
        self.cross_by_group = {group: tuple(items) for group, items in by_group.items()}
        self._name_index = {words(name): rxcui for rxcui, name in self.names.items()}
        self._longest_name = max(len(key) for key in self._name_index)

    def groups_of(self, ingredients: Iterable[str]) -> frozenset[str]:
        """The ingredients themselves plus every class they belong to."""
        groups: set[str] = set()
        for rxcui in ingredients:
            groups.add(rxcui)
            groups.update(self.classes_of.get(rxcui, ()))
        return frozenset(groups)

    def ingredients_for(self, system: str | None, code: str | None, display: str | None) -> frozenset[str]:
        """A coded medication's ingredients: by RXCUI when known, else by ingredient names in its text."""
        if system == RXNORM and code in self.names:
            return frozenset({code})
        return self.ingredients_named(display or "")

    def ingredients_named(self, text: str) -> frozenset[str]:
        """Whole-word ingredient names in a description ("Sulfamethoxazole 800 MG / Trimethoprim ...")."""
        tokens = words(text)
        found: set[str] = set()
        start = 0
        while start < len(tokens):
            for size in range(min(self._longest_name, len(tokens) - start), 0, -1):
                rxcui = self._name_index.get(tokens[start : start + size])
                if rxcui is not None:
                    found.add(rxcui)
                    start += size
                    break
            else:
                start += 1
        return frozenset(found)

    def allergen_for(self, system: str | None, code: str | None, display: str | None) -> AllergenTarget:
        mapped = self.allergens.get((system or "", code or ""))
        if mapped is not None:
            return mapped
        ingredients = self.ingredients_for(system, code, display)
        if ingredients:
            return AllergenTarget(ingredients=ingredients)
        return self.allergen_terms.get(words(display or ""), AllergenTarget())

    def name(self, rxcui: str) -> str:
        return self.names.get(rxcui, rxcui)
