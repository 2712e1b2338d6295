"""CDS Hooks 2.0 over HTTP: discovery, order-select and order-sign with prefetch, and bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cds_harness import SCT, CdsApp, allergy, hook_body, med

SIGN = "/cds-services/medication-safety-sign"
SELECT = "/cds-services/medication-safety-select"
SIMVASTATIN = ("36567", "simvastatin 40 MG Oral Tablet")
CLARITHROMYCIN = ("21212", "clarithromycin 500 MG Oral Tablet")


async def post(cds: CdsApp, path: str, body: Any) -> httpx.Response:
    return await cds.client.post(path, json=body)


async def test_discovery_lists_both_hooks_with_prefetch_templates(cds: CdsApp) -> None:
    response = await cds.client.get("/cds-services")
    assert response.status_code == 200
    services = {s["id"]: s for s in response.json()["services"]}
    assert {s["hook"] for s in services.values()} == {"order-select", "order-sign"}
    for service in services.values():
        assert service["description"] and service["title"]
        assert service["prefetch"] == {
            "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
            "allergies": "AllergyIntolerance?patient={{context.patientId}}",
        }


async def test_order_sign_returns_a_critical_interaction_card(cds: CdsApp) -> None:
    body = hook_body(
        "order-sign", [med("mr-new", *SIMVASTATIN, status="draft")], active=[med("mr-old", *CLARITHROMYCIN)]
    )
    response = await post(cds, SIGN, body)
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    assert card["indicator"] == "critical"
    assert len(card["summary"]) < 140 and "simvastatin" in card["summary"]
    assert card["source"]["url"] == "https://doi.org/10.1136/amiajnl-2011-000612"
    assert card["source"]["topic"]["code"] == "ddi.onc.statins-cyp3a4-inhibitors"
    assert card["selectionBehavior"] == "at-most-one"
    remove, *replacements = card["suggestions"]
    delete = {
        "type": "delete",
        "description": "Remove this draft medication order",
        "resourceId": "MedicationRequest/mr-new",
    }
    assert remove["isRecommended"] is True and remove["actions"] == [delete]
    assert [s["label"] for s in replacements] == ["Replace with pravastatin", "Replace with rosuvastatin"]
    first_delete, create = replacements[0]["actions"]
    assert first_delete == delete and create["type"] == "create"
    assert create["resource"]["medicationCodeableConcept"]["coding"][0]["code"] == "42463"
    assert create["resource"]["subject"] == {"reference": "Patient/pat-cds-0001"}
    assert all(reason["display"] and reason["code"] for reason in card["overrideReasons"])
    assert "suppressed" not in card and None not in card.values()


async def test_order_select_checks_the_selection_against_other_drafts(cds: CdsApp) -> None:
    drafts = [
        med("mr-a", "11289", "warfarin 5 MG Oral Tablet", status="draft"),
        med("mr-b", "11289", "warfarin 1 MG", status="draft"),
    ]
    body = hook_body("order-select", drafts, selections=["MedicationRequest/mr-b"])
    cards = (await post(cds, SELECT, body)).json()["cards"]
    assert [(c["indicator"], c["source"]["topic"]["code"]) for c in cards] == [
        ("critical", "duplicate.same-ingredient-ordered-twice")
    ]
    assert cards[0]["suggestions"][0]["actions"][0]["resourceId"] == "MedicationRequest/mr-b"


async def test_allergy_cross_sensitivity_and_dose_from_the_sig(cds: CdsApp) -> None:
    drafts = [
        med("mr-ceph", "2231", "cephalexin 500 MG Oral Capsule", status="draft"),
        med("mr-apap", "161", "acetaminophen 1000 MG", status="draft", dose=(1000, "mg", 6)),
    ]
    allergies = [
        allergy("372687004", "Amoxicillin", criticality="high"),
        allergy("387406002", "Sulfonamide", verification="refuted"),
    ]
    cards = (await post(cds, SIGN, hook_body("order-sign", drafts, allergies=allergies))).json()["cards"]
    codes = {c["source"]["topic"]["code"]: c["indicator"] for c in cards}
    assert codes == {
        "allergy.cross.aminopenicillin-r1-cephalosporins": "critical",
        "dose.acetaminophen": "critical",
    }


async def test_an_uncoded_draft_is_reported_as_not_checked(cds: CdsApp) -> None:
    draft = med("mr-x", "999999999", "Investigational product XY-1", status="draft")
    cards = (await post(cds, SIGN, hook_body("order-sign", [draft]))).json()["cards"]
    assert [(c["indicator"], c["source"]["topic"]["code"]) for c in cards] == [
        ("warning", "cds.unrecognized")
    ]
    assert "uuid" not in cards[0]


async def test_a_null_prefetch_means_no_data(cds: CdsApp) -> None:
    body = hook_body("order-sign", [med("mr-1", *SIMVASTATIN, status="draft")])
    body["prefetch"] = {"medications": None, "allergies": None}
    response = await post(cds, SIGN, body)
    assert response.status_code == 200 and response.json() == {"cards": []}


@pytest.mark.parametrize("missing", ["medications", "allergies"])
async def test_missing_prefetch_is_412_since_the_service_does_not_fetch(cds: CdsApp, missing: str) -> None:
    body = hook_body("order-sign", [med("mr-1", *SIMVASTATIN, status="draft")])
    del body["prefetch"][missing]
    body["fhirServer"] = "https://ehr.example/fhir"
    response = await post(cds, SIGN, body)
    assert response.status_code == 412
    assert response.json()["missing"] == [missing]


async def test_a_failed_prefetch_operation_outcome_is_412(cds: CdsApp) -> None:
    body = hook_body("order-sign", [med("mr-1", *SIMVASTATIN, status="draft")])
    body["prefetch"]["allergies"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    assert (await post(cds, SIGN, body)).status_code == 412


def _mutations() -> list[tuple[str, Any, str]]:
    def without(key: str) -> Any:
        def change(body: dict[str, Any]) -> None:
            del body[key]

        return change

    def context_without(key: str) -> Any:
        def change(body: dict[str, Any]) -> None:
            del body["context"][key]

        return change

    def other_patient(body: dict[str, Any]) -> None:
        body["prefetch"]["medications"] = {
            "resourceType": "Bundle",
            "entry": [{"resource": med("mr-z", *CLARITHROMYCIN, patient="pat-other")}],
        }

    def wrong_hook(body: dict[str, Any]) -> None:
        body["hook"] = "patient-view"

    def not_a_bundle(body: dict[str, Any]) -> None:
        body["prefetch"]["allergies"] = ["not", "a", "bundle"]

    return [
        ("hookInstance", without("hookInstance"), "hookInstance"),
        ("patientId", context_without("patientId"), "context.patientId"),
        ("draftOrders", context_without("draftOrders"), "context.draftOrders"),
        ("other patient", other_patient, "another patient"),
        ("wrong hook", wrong_hook, "order-sign"),
        ("not a bundle", not_a_bundle, "must be a FHIR Bundle"),
    ]


@pytest.mark.parametrize(("name", "mutate", "message"), _mutations(), ids=[m[0] for m in _mutations()])
async def test_bad_requests_are_400_with_a_clear_message(
    cds: CdsApp, name: str, mutate: Any, message: str
) -> None:
    body = hook_body("order-sign", [med("mr-1", *SIMVASTATIN, status="draft")])
    mutate(body)
    response = await post(cds, SIGN, body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]


async def test_malformed_json_unknown_service_and_missing_token(cds: CdsApp) -> None:
    response = await cds.client.post(SIGN, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]
    assert (await post(cds, "/cds-services/nope", {})).status_code == 404
    anonymous = await cds.client.get("/cds-services", headers={"authorization": ""})
    assert anonymous.status_code == 401


async def test_snomed_allergy_codes_from_the_prefetch_are_used(cds: CdsApp) -> None:
    allergies = [allergy("764146007", "Penicillin", system=SCT)]
    drafts = [med("mr-pen", "723", "amoxicillin 500 MG Oral Capsule", status="draft")]
    cards = (await post(cds, SIGN, hook_body("order-sign", drafts, allergies=allergies))).json()["cards"]
    assert [(c["indicator"], c["source"]["topic"]["code"]) for c in cards] == [
        ("critical", "allergy.class-member")
    ]


async def test_unrecognized_context_gives_one_info_card_and_food_allergies_are_ignored(cds: CdsApp) -> None:
    active = [med("mr-m", "6809", "metformin 500 MG"), med("mr-l", "10582", "levothyroxine 50 MCG")]
    peanut = allergy("91935009", "Peanut") | {"category": ["food"]}
    latex = allergy("111088007", "Latex")
    drafts = [med("mr-1", *SIMVASTATIN, status="draft")]
    cards = (
        await post(cds, SIGN, hook_body("order-sign", drafts, active=active, allergies=[peanut, latex]))
    ).json()["cards"]
    (card,) = cards
    assert card["indicator"] == "info" and card["source"]["topic"]["code"] == "cds.unrecognized"
    assert all(name in card["detail"] for name in ("metformin 500 MG", "levothyroxine 50 MCG", "Latex"))
    assert "Peanut" not in card["detail"]


async def test_the_demo_needs_no_data_and_reports_the_shipped_knowledge(cds: CdsApp) -> None:
    demo = cds.runtime.definitions["cds"].demo
    assert demo is not None
    summary = await demo(cds.runtime.contexts["cds"])
    assert summary["knowledge_version"] and summary["interaction_rules"] >= 15
    assert summary["ingredients"] > 100 and summary["cross_sensitivity_rules"] > 5


async def test_the_order_being_signed_in_the_active_prefetch_is_not_its_own_duplicate(cds: CdsApp) -> None:
    body = hook_body(
        "order-sign", [med("mr-1", *SIMVASTATIN, status="draft")], active=[med("mr-1", *SIMVASTATIN)]
    )
    assert (await post(cds, SIGN, body)).json() == {"cards": []}
