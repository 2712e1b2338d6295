"""The allergy race: allergy writes racing signatures. A signed order's check must have seen every
allergy committed before the signature (``medication_context_changes`` names each write's version)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from caremesh.kernel.ids import new_id

from .orders_fault_harness import DOUBLE, Platform, platform, trials

pytestmark = pytest.mark.fault
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
TERMS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-"


@pytest.fixture(autouse=True)
def cds_double(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CAREMESH_EXTRA_MODULES", DOUBLE)
    monkeypatch.setenv("CAREMESH_TEST_CDS_MODE", str(tmp_path / "cds-mode"))


def _allergy(patient: str) -> dict[str, object]:
    return {
        "resourceType": "AllergyIntolerance",
        "patient": {"reference": f"Patient/{patient}"},
        "code": {"coding": [{"system": RXNORM, "code": "723"}]},
        "clinicalStatus": {"coding": [{"system": TERMS + "clinical", "code": "active"}]},
        "verificationStatus": {"coding": [{"system": TERMS + "verification", "code": "confirmed"}]},
    }


async def _trial(p: Platform) -> str:
    """One race; returns its outcome: refused, signed-after-seeing, signed-before-allergy."""
    patient = f"pat-{new_id()}"
    draft = (
        await p.post(
            "/v1/medication-orders",
            {
                "patient_id": patient,
                "medication": {"code": "723"},
                "dose": {"value": "500", "unit": "mg"},
                "frequency": "TID",
                "route": "oral",
                "duration_days": 7,
            },
        )
    ).json()
    await p.post(f"/v1/medication-orders/{draft['id']}/check")
    await asyncio.sleep(p.rng.random() * 0.004)
    delay = p.rng.random() * 0.004

    async def write_allergy() -> str:
        await asyncio.sleep(delay)
        response = await p.post("/fhir/R4/AllergyIntolerance", _allergy(patient))
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    signed, allergy_id = await asyncio.gather(
        p.post(f"/v1/medication-orders/{draft['id']}/sign", {}, {"Idempotency-Key": new_id()}),
        write_allergy(),
    )
    if signed.status_code == 409:
        assert signed.json()["alerts"][0]["kind"] == "drug-allergy", signed.text
        return "refused"
    assert signed.status_code == 200, signed.text
    order = signed.json()
    allergy_version = await p.scalar(
        "clinical",
        "SELECT version FROM medication_context_changes WHERE patient_id = $1 AND resource_id = $2",
        patient,
        allergy_id,
    )
    if allergy_version <= order["checked_context_version"]:
        # The allergy committed before the signature: the check must have seen it.
        assert [alert["kind"] for alert in order["alerts"]] == ["drug-allergy"], order
        return "signed-after-seeing"
    return "signed-before-allergy"


async def test_no_order_is_signed_against_an_older_allergy_list(database_url: str) -> None:
    outcomes: dict[str, int] = {}
    async with platform(database_url, seed=11) as p:
        for _ in range(trials()):
            outcome = await _trial(p)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    # Both orders of commit happened, so the race was real.
    assert outcomes.get("refused", 0) > 0 and outcomes.get("signed-before-allergy", 0) > 0, outcomes
