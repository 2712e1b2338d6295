"""Drug-allergy checks: same ingredient, class allergies and cross-sensitivity tiers."""

from __future__ import annotations

import pytest
from cds_kb import KB, allergy, drug, only, run

SCT = "http://snomed.info/sct"


def allergy_cards(ordered: str, **given: object) -> list[tuple[str, str]]:
    findings = only(run([drug(ordered)], allergies=[allergy(**given)]), "drug-allergy")  # type: ignore[arg-type]
    return [(f.rule_id, f.indicator) for f in findings]


def test_the_same_ingredient_is_critical() -> None:
    assert allergy_cards("amoxicillin", ingredient="amoxicillin") == [("allergy.same-ingredient", "critical")]


def test_a_member_of_an_allergy_class_is_critical() -> None:
    assert allergy_cards("piperacillin", classes=("penicillins",)) == [("allergy.class-member", "critical")]


def test_another_penicillin_after_a_penicillin_allergy_is_critical() -> None:
    assert allergy_cards("penicillin V", ingredient="amoxicillin") == [
        ("allergy.cross.penicillins", "critical")
    ]


@pytest.mark.parametrize("cephalosporin", ["ceftriaxone", "cefepime", "cefazolin"])
def test_cephalosporins_after_penicillin_allergy_warn(cephalosporin: str) -> None:
    cards = allergy_cards(cephalosporin, classes=("penicillins",))
    assert cards == [("allergy.cross.penicillin-cephalosporins", "warning")]


def test_a_similar_side_chain_is_the_specific_rule_and_critical_after_a_severe_reaction() -> None:
    assert allergy_cards("cephalexin", ingredient="amoxicillin") == [
        ("allergy.cross.aminopenicillin-r1-cephalosporins", "warning")
    ]
    assert allergy_cards("cephalexin", ingredient="amoxicillin", high=True) == [
        ("allergy.cross.aminopenicillin-r1-cephalosporins", "critical")
    ]
    # a dissimilar side chain keeps the general (low) cross-reactivity warning even after anaphylaxis
    assert allergy_cards("ceftriaxone", ingredient="amoxicillin", high=True) == [
        ("allergy.cross.penicillin-cephalosporins", "warning")
    ]


def test_carbapenems_after_penicillin_allergy_are_info() -> None:
    assert allergy_cards("meropenem", classes=("penicillins",)) == [
        ("allergy.cross.penicillin-carbapenems", "info")
    ]


def test_aztreonam_is_not_flagged_for_penicillin_allergy() -> None:
    assert allergy_cards("aztreonam", classes=("penicillins",)) == []


def test_sulfonamide_antibiotics_are_critical_and_non_antibiotics_give_no_card() -> None:
    sulfa = {"classes": ("sulfonamide-antibiotics",)}
    assert allergy_cards("sulfadiazine", **sulfa) == [("allergy.class-member", "critical")]  # type: ignore[arg-type]
    assert allergy_cards("sulfamethoxazole / trimethoprim", ingredient="sulfadiazine") == [
        ("allergy.cross.sulfonamide-antibiotics", "critical")
    ]
    for non_antibiotic in ("furosemide", "hydrochlorothiazide", "celecoxib"):
        assert allergy_cards(non_antibiotic, ingredient="sulfamethoxazole") == [], non_antibiotic


def test_aspirin_and_nsaid_cross_reactivity() -> None:
    assert allergy_cards("ibuprofen", ingredient="aspirin") == [("allergy.cross.aspirin-nsaids", "warning")]
    assert allergy_cards("celecoxib", ingredient="aspirin") == [("allergy.cross.aspirin-cox2", "info")]
    assert allergy_cards("naproxen", ingredient="ibuprofen") == [("allergy.cross.nsaids", "warning")]
    assert allergy_cards("aspirin", classes=("nsaids-nonselective",)) == [
        ("allergy.cross.nsaid-aspirin", "warning")
    ]


def test_opioid_structural_groups() -> None:
    assert allergy_cards("morphine", ingredient="codeine") == [
        ("allergy.cross.phenanthrene-opioids", "warning")
    ]
    assert allergy_cards("fentanyl", ingredient="codeine") == [
        ("allergy.cross.phenanthrene-other-opioids", "info")
    ]


def test_unconfirmed_allergies_are_still_checked_and_say_so() -> None:
    findings = only(
        run([drug("amoxicillin")], allergies=[allergy(ingredient="amoxicillin", unconfirmed=True)]),
        "drug-allergy",
    )
    assert findings[0].indicator == "critical" and "unconfirmed" in findings[0].detail


def test_allergies_check_drafts_only() -> None:
    assert (
        run([drug("acetaminophen")], [drug("amoxicillin", draft=False)], [allergy(ingredient="amoxicillin")])
        == []
    )


def test_snomed_substance_and_finding_codes_map_to_the_penicillin_class() -> None:
    for code in ("764146007", "373270004", "91936005"):
        assert KB.allergen_for(SCT, code, None).classes == {"penicillins"}
    assert KB.allergen_for(SCT, "387406002", None).classes == {"sulfonamide-antibiotics"}
    assert KB.allergen_for(None, None, "Sulfa drugs").classes == {"sulfonamide-antibiotics"}
