"""Loads the versioned knowledge files shipped in the package and checks them against the manifest.

The manifest pins each file's SHA-256: a file edited without a new manifest (and so without a new
version) refuses to load, so ``knowledge_version`` on every result names exactly what was used.
Run ``python -m caremesh.modules.cds.adapters.knowledge_files --rehash`` after a reviewed edit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

from caremesh.modules.cds.domain.knowledge import (
    AllergenTarget,
    CrossSensitivity,
    DoseLimit,
    DrugClass,
    Indicator,
    InteractionRule,
    Knowledge,
    OpioidLimit,
    Source,
    words,
)

PACKAGE = "caremesh.modules.cds.adapters.knowledge"
FILES = ("ingredients.json", "classes.json", "interactions.json", "allergy.json", "dose_limits.json")
INDICATORS = ("info", "warning", "critical")


class KnowledgeError(ValueError):
    """The knowledge files are inconsistent; the module must not check anything with them."""


def _read(name: str) -> bytes:
    return resources.files(PACKAGE).joinpath(name).read_bytes()


@cache
def load_knowledge() -> Knowledge:
    """Parsed and indexed once per process."""
    manifest = json.loads(_read("manifest.json"))
    documents: dict[str, Any] = {}
    for name in FILES:
        raw = _read(name)
        if hashlib.sha256(raw).hexdigest() != manifest["files"].get(name):
            raise KnowledgeError(f"{name} does not match manifest.json: re-review it and rehash")
        documents[name] = json.loads(raw)
    return build_knowledge(manifest["version"], documents)


def build_knowledge(version: str, docs: dict[str, Any]) -> Knowledge:
    names = {item["rxcui"]: item["name"] for item in docs["ingredients.json"]["ingredients"]}
    classes = {item["id"]: _drug_class(item, names) for item in docs["classes.json"]["classes"]}
    interactions = docs["interactions.json"]
    to_indicator = interactions["severity_to_indicator"]
    allergy = docs["allergy.json"]
    limits = docs["dose_limits.json"]
    return Knowledge(
        version=version,
        names=names,
        classes=classes,
        interactions=[_interaction(rule, classes, names, to_indicator) for rule in interactions["rules"]],
        allergens={(a["system"], a["code"]): _target(a, classes, names) for a in allergy["allergens"]},
        cross_sensitivities=[_cross(rule, classes) for rule in allergy["cross_sensitivity"]],
        dose_limits={limit["ingredient"]: _limit(limit, names) for limit in limits["limits"]},
        opioids=_opioids(limits["opioid_mme"], names),
        allergy_source=_source(allergy["source"]),
        allergen_terms={
            words(term): AllergenTarget(classes=_known(ids, classes, term))
            for term, ids in allergy["allergen_terms"].items()
        },
    )


def _known(ids: list[str], known: dict[str, Any], where: str) -> frozenset[str]:
    missing = [item for item in ids if item not in known]
    if missing:
        raise KnowledgeError(f"{where} refers to unknown ids {missing}")
    return frozenset(ids)


def _source(item: dict[str, Any]) -> Source:
    return Source(item["label"], item.get("url"))


def _drug_class(item: dict[str, Any], names: dict[str, str]) -> DrugClass:
    members = _known(item["members"], names, f"class {item['id']}")
    return DrugClass(item["id"], item["name"], members, bool(item.get("therapeutic", False)))


def _side(
    side: dict[str, Any], classes: dict[str, DrugClass], names: dict[str, str], rule: str
) -> frozenset[str]:
    members: set[str] = set(_known(side.get("ingredients", []), names, rule))
    for class_id in _known(side.get("classes", []), classes, rule):
        members |= classes[class_id].members
    return frozenset(members)


def _indicator(value: str | None, where: str) -> Indicator | None:
    if value is None or value == "none":
        return None
    if value not in INDICATORS:
        raise KnowledgeError(f"{where}: unknown indicator {value!r}")
    return cast(Indicator, value)


def _interaction(
    rule: dict[str, Any], classes: dict[str, DrugClass], names: dict[str, str], to_indicator: dict[str, str]
) -> InteractionRule:
    indicator = _indicator(to_indicator.get(rule["severity"]), rule["id"])
    if indicator is None:
        raise KnowledgeError(f"{rule['id']}: severity {rule['severity']!r} has no indicator")
    return InteractionRule(
        id=rule["id"],
        severity=rule["severity"],
        indicator=indicator,
        side_a=_side(rule["a"], classes, names, rule["id"]),
        side_b=_side(rule["b"], classes, names, rule["id"]),
        summary=rule["summary"],
        mechanism=rule["mechanism"],
        management=rule["management"],
        source=_source(rule["source"]),
        alternatives_a=_alternatives(rule, "a", names),
        alternatives_b=_alternatives(rule, "b", names),
    )


def _alternatives(rule: dict[str, Any], side: str, names: dict[str, str]) -> tuple[str, ...]:
    ids: list[str] = rule.get("alternatives", {}).get(side, [])
    _known(ids, names, rule["id"])
    return tuple(ids)  # in the curated order of preference


def _target(item: dict[str, Any], classes: dict[str, DrugClass], names: dict[str, str]) -> AllergenTarget:
    where = f"allergen {item['code']}"
    return AllergenTarget(
        ingredients=_known(item.get("ingredients", []), names, where),
        classes=_known(item.get("classes", []), classes, where),
    )


def _cross(rule: dict[str, Any], classes: dict[str, DrugClass]) -> CrossSensitivity:
    _known([rule["allergen_group"], rule["drug_class"]], classes, rule["id"])
    return CrossSensitivity(
        id=rule["id"],
        allergen_group=rule["allergen_group"],
        drug_class=rule["drug_class"],
        indicator=_indicator(rule["indicator"], rule["id"]),
        indicator_if_high=_indicator(rule.get("indicator_if_high_criticality"), rule["id"]),
        detail=rule["detail"],
        source=_source(rule["source"]),
    )


def _limit(item: dict[str, Any], names: dict[str, str]) -> DoseLimit:
    _known([item["ingredient"]], names, item["id"])
    if item.get("unit") != "mg/d":
        raise KnowledgeError(f"{item['id']}: limits are expressed in mg/d")
    return DoseLimit(
        id=item["id"],
        ingredient=item["ingredient"],
        warning_above=item.get("warning_above"),
        critical_above=item.get("critical_above"),
        routes=frozenset(item.get("routes", [])),
        detail=item["detail"],
        source=_source(item["source"]),
    )


def _opioids(item: dict[str, Any], names: dict[str, str]) -> OpioidLimit:
    _known([*item["factors_per_mg"], *item["factors_per_ug_per_h"]], names, item["id"])
    return OpioidLimit(
        id=item["id"],
        factors_per_mg=dict(item["factors_per_mg"]),
        factors_per_ug_per_h=dict(item["factors_per_ug_per_h"]),
        warning_at=float(item["warning_at"]),
        critical_at=float(item["critical_at"]),
        detail=item["detail"],
        source=_source(item["source"]),
    )


def rehash(directory: Path) -> None:
    """Write the current files' hashes into manifest.json (after the content was reviewed)."""
    manifest_path = directory / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"] = {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in FILES}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    if sys.argv[1:] != ["--rehash"]:
        raise SystemExit("usage: python -m caremesh.modules.cds.adapters.knowledge_files --rehash")
    rehash(Path(str(resources.files(PACKAGE))))
