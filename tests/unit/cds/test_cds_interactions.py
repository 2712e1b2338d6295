"""Drug-drug interaction rules: tiers, pairing with active medications and other drafts, one card per pair."""

from __future__ import annotations

import pytest
from cds_kb import drug, only, run

PAIRS = [
    ("simvastatin", "clarithromycin", "ddi.onc.statins-cyp3a4-inhibitors", "critical"),
    ("lovastatin", "ritonavir", "ddi.onc.statins-cyp3a4-inhibitors", "critical"),
    ("sertraline", "phenelzine", "ddi.onc.serotonergic-maoi", "critical"),
    ("sumatriptan", "selegiline", "ddi.onc.triptans-maoi", "critical"),
    ("tizanidine", "ciprofloxacin", "ddi.onc.tizanidine-cyp1a2", "critical"),
    ("ramelteon", "fluvoxamine", "ddi.onc.ramelteon-fluvoxamine", "critical"),
    ("atazanavir", "omeprazole", "ddi.onc.atazanavir-ppi", "critical"),
    ("febuxostat", "azathioprine", "ddi.onc.febuxostat-thiopurines", "critical"),
    ("irinotecan", "St. John's Wort", "ddi.onc.irinotecan-cyp3a4", "critical"),
    ("irinotecan", "ketoconazole", "ddi.onc.irinotecan-cyp3a4", "critical"),
    ("amiodarone", "haloperidol", "ddi.onc.qt-high-risk", "critical"),
    ("dihydroergotamine", "erythromycin", "ddi.onc.ergots-cyp3a4-inhibitors", "critical"),
    ("tranylcypromine", "procarbazine", "ddi.onc.tranylcypromine-procarbazine", "critical"),
    ("sildenafil", "isosorbide mononitrate", "ddi.label.pde5-nitrates", "critical"),
    ("warfarin", "ibuprofen", "ddi.major.warfarin-nsaids", "warning"),
    ("lisinopril", "spironolactone", "ddi.major.raas-potassium", "warning"),
    ("lithium carbonate", "hydrochlorothiazide", "ddi.major.lithium-thiazides", "warning"),
    ("clopidogrel", "omeprazole", "ddi.major.clopidogrel-ppi", "warning"),
    ("methotrexate", "sulfamethoxazole / trimethoprim", "ddi.major.methotrexate-trimethoprim", "warning"),
    ("sertraline", "naproxen", "ddi.moderate.ssri-nsaids", "info"),
]


@pytest.mark.parametrize(("ordered", "taking", "rule_id", "indicator"), PAIRS)
def test_a_draft_meets_an_active_medication(ordered: str, taking: str, rule_id: str, indicator: str) -> None:
    findings = only(run([drug(ordered)], [drug(taking, draft=False)]), "drug-drug")
    assert [(f.rule_id, f.indicator) for f in findings] == [(rule_id, indicator)]


@pytest.mark.parametrize(("ordered", "taking", "rule_id", "indicator"), PAIRS[:4])
def test_the_rule_is_symmetric(ordered: str, taking: str, rule_id: str, indicator: str) -> None:
    findings = only(run([drug(taking)], [drug(ordered, draft=False)]), "drug-drug")
    assert [(f.rule_id, f.indicator) for f in findings] == [(rule_id, indicator)]


def test_two_drafts_interact_once() -> None:
    first, second = drug("simvastatin"), drug("clarithromycin")
    findings = only(run([first, second]), "drug-drug")
    assert len(findings) == 1 and findings[0].draft_ref in {first.ref, second.ref}
    assert "ordered together" in findings[0].detail


def test_interactions_between_active_medications_are_not_this_orders_news() -> None:
    active = [drug("simvastatin", draft=False), drug("clarithromycin", draft=False)]
    findings = run([drug("acetaminophen")], active)
    assert only(findings, "drug-drug") == []


def test_one_card_per_pair_led_by_the_most_severe_rule() -> None:
    # pimozide + clarithromycin: contraindicated by label (CYP3A4) and a QT combination (major).
    findings = only(run([drug("pimozide")], [drug("clarithromycin", draft=False)]), "drug-drug")
    assert len(findings) == 1
    assert findings[0].rule_id == "ddi.label.pimozide-cyp3a4" and findings[0].indicator == "critical"
    assert "Also: QT-prolonging combination" in findings[0].detail


def test_the_same_drug_twice_is_not_an_interaction() -> None:
    assert only(run([drug("amiodarone")], [drug("amiodarone", draft=False)]), "drug-drug") == []


def test_the_subject_key_ignores_order_ids_and_direction() -> None:
    one = only(run([drug("simvastatin")], [drug("clarithromycin", draft=False)]), "drug-drug")[0]
    two = only(run([drug("clarithromycin")], [drug("simvastatin", draft=False)]), "drug-drug")[0]
    assert one.subject_key == two.subject_key


def test_non_interacting_drugs_give_nothing() -> None:
    assert only(run([drug("pravastatin")], [drug("clarithromycin", draft=False)]), "drug-drug") == []


def test_safer_alternatives_are_offered_for_the_draft_side_only() -> None:
    statin_ordered = only(run([drug("simvastatin")], [drug("clarithromycin", draft=False)]), "drug-drug")[0]
    assert [name for _, name in statin_ordered.alternatives] == ["pravastatin", "rosuvastatin"]
    antibiotic_ordered = only(run([drug("clarithromycin")], [drug("simvastatin", draft=False)]), "drug-drug")[
        0
    ]
    assert antibiotic_ordered.alternatives == ()
    nsaid_ordered = only(run([drug("ibuprofen")], [drug("warfarin", draft=False)]), "drug-drug")[0]
    assert [name for _, name in nsaid_ordered.alternatives] == ["acetaminophen"]
