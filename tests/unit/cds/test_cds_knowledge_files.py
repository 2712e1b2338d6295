"""The shipped knowledge loads, is pinned by its manifest, and covers the ONC high-priority list."""

from __future__ import annotations

import copy
import json
from importlib import resources

import pytest
from cds_kb import KB, rxcui

from caremesh.modules.cds.adapters.knowledge_files import PACKAGE, KnowledgeError, build_knowledge

ONC_RULES = {
    "ddi.onc.amphetamines-maoi",
    "ddi.onc.atazanavir-ppi",
    "ddi.onc.febuxostat-thiopurines",
    "ddi.onc.serotonergic-maoi",
    "ddi.onc.irinotecan-cyp3a4",
    "ddi.onc.opioids-maoi",
    "ddi.onc.tca-maoi",
    "ddi.onc.qt-high-risk",
    "ddi.onc.ramelteon-fluvoxamine",
    "ddi.onc.inducers-protease-inhibitors",
    "ddi.onc.statins-cyp3a4-inhibitors",
    "ddi.onc.ergots-cyp3a4-inhibitors",
    "ddi.onc.tizanidine-cyp1a2",
    "ddi.onc.tranylcypromine-procarbazine",
    "ddi.onc.triptans-maoi",
}


def _documents() -> dict[str, object]:
    names = ("ingredients.json", "classes.json", "interactions.json", "allergy.json", "dose_limits.json")
    return {name: json.loads(resources.files(PACKAGE).joinpath(name).read_bytes()) for name in names}


def test_the_version_comes_from_the_manifest() -> None:
    manifest = json.loads(resources.files(PACKAGE).joinpath("manifest.json").read_bytes())
    assert KB.version == manifest["version"]
    assert manifest["sources"] and manifest["released"]


def test_all_fifteen_onc_pairs_are_critical_with_the_paper_as_source() -> None:
    rules = {rule.id: rule for rule in KB.interactions}
    assert set(rules) >= ONC_RULES
    for rule_id in ONC_RULES:
        rule = rules[rule_id]
        assert rule.indicator == "critical" and rule.severity == "contraindicated"
        assert rule.source.url == "https://doi.org/10.1136/amiajnl-2011-000612"
        assert rule.side_a and rule.side_b and rule.mechanism and rule.management


def test_every_rule_has_a_source_and_a_tiered_severity() -> None:
    tiers = {"contraindicated": "critical", "major": "warning", "moderate": "info"}
    for rule in KB.interactions:
        assert rule.source.label, rule.id
        assert tiers[rule.severity] == rule.indicator, rule.id
    for limit in KB.dose_limits.values():
        assert limit.source.label and (limit.warning_above or limit.critical_above), limit.id


def test_class_membership_is_by_rxnorm_ingredient() -> None:
    assert rxcui("simvastatin") in KB.classes["statins-cyp3a4"].members
    assert KB.classes_of[rxcui("clarithromycin")] >= {"cyp3a4-strong-inhibitors", "macrolides"}


def test_unknown_ids_in_a_rule_refuse_to_load() -> None:
    docs = copy.deepcopy(_documents())
    rules = docs["interactions.json"]["rules"]  # type: ignore[index]
    rules[0]["a"] = {"classes": ["no-such-class"]}
    with pytest.raises(KnowledgeError, match="no-such-class"):
        build_knowledge("test", docs)


def test_an_unknown_indicator_refuses_to_load() -> None:
    docs = copy.deepcopy(_documents())
    docs["allergy.json"]["cross_sensitivity"][0]["indicator"] = "severe"  # type: ignore[index]
    with pytest.raises(KnowledgeError, match="severe"):
        build_knowledge("test", docs)


def test_names_in_free_text_resolve_to_ingredients() -> None:
    found = KB.ingredients_named("Sulfamethoxazole 800 MG / Trimethoprim 160 MG Oral Tablet")
    assert found == {rxcui("sulfamethoxazole"), rxcui("trimethoprim")}
    assert KB.ingredients_named("dextroamphetamine 10 mg") == {rxcui("dextroamphetamine")}
    assert KB.ingredients_named("Vitamin D3 1000 unit") == frozenset()


def test_a_file_edited_without_rehashing_the_manifest_refuses_to_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from caremesh.modules.cds.adapters import knowledge_files

    original = knowledge_files._read

    def tampered(name: str) -> bytes:
        raw = original(name)
        return (
            raw.replace(b'"critical_above": 4000', b'"critical_above": 8000')
            if name == "dose_limits.json"
            else raw
        )

    monkeypatch.setattr(knowledge_files, "_read", tampered)
    with pytest.raises(KnowledgeError, match=r"dose_limits\.json does not match manifest"):
        knowledge_files.load_knowledge.__wrapped__()
