"""The engine is indexed once: a realistic patient (20 active medications, 5 allergies) is sub-millisecond."""

from __future__ import annotations

import time

from cds_kb import allergy, drug, run

ACTIVE = [
    "lisinopril",
    "metoprolol",
    "atorvastatin",
    "warfarin",
    "omeprazole",
    "sertraline",
    "lorazepam",
    "furosemide",
    "potassium chloride",
    "digoxin",
    "amiodarone",
    "hydrochlorothiazide",
    "acetaminophen",
    "oxycodone",
    "levofloxacin",
    "fluconazole",
    "ondansetron",
    "clopidogrel",
    "aspirin",
    "spironolactone",
]


def test_twenty_active_medications_and_five_allergies_check_well_under_a_millisecond() -> None:
    active = [drug(name, draft=False, dose=10) for name in ACTIVE]
    allergies = [
        allergy(classes=("penicillins",)),
        allergy(ingredient="sulfamethoxazole"),
        allergy(ingredient="codeine"),
        allergy(ingredient="ibuprofen"),
        allergy(classes=("cephalosporins",)),
    ]
    drafts = [drug("simvastatin", dose=40), drug("naproxen", dose=1000)]
    findings = run(drafts, active, allergies)
    assert {f.kind for f in findings} >= {"drug-drug", "drug-allergy", "duplicate-therapy"}
    rounds = 500
    started = time.perf_counter()
    for _ in range(rounds):
        run(drafts, active, allergies)
    per_check_ms = (time.perf_counter() - started) * 1000 / rounds
    assert per_check_ms < 1.0, per_check_ms
