"""Overrides with reasons (CdsAPI and CDS Hooks feedback), idempotent per card, and their statistics."""

from __future__ import annotations

from typing import Any

import pytest
from cds_harness import CdsApp, hook_body, med

from caremesh.contracts.cds import OverrideRecord
from caremesh.kernel.errors import InvalidRequest

SIGN = "/cds-services/medication-safety-sign"
FEEDBACK = f"{SIGN}/feedback"


async def critical_card(cds: CdsApp, encounter: str = "enc-o-1") -> dict[str, Any]:
    body = hook_body(
        "order-sign",
        [med("mr-s", "36567", "simvastatin", status="draft")],
        active=[med("mr-c", "21212", "clarithromycin")],
        encounter=encounter,
    )
    cards = (await cds.client.post(SIGN, json=body)).json()["cards"]
    assert len(cards) == 1
    return dict(cards[0])


def overridden(
    card: str, code: str | None = "benefit-outweighs-risk", comment: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "card": card,
        "outcome": "overridden",
        "outcomeTimestamp": "2026-11-25T10:00:00Z",
    }
    if code:
        entry["overrideReason"] = {
            "reason": {
                "code": code,
                "system": "https://caremesh.dev/fhir/CodeSystem/cds-override-reason",
                "display": "x",
            }
        }
        if comment:
            entry["overrideReason"]["userComment"] = comment
    return entry


async def stats(cds: CdsApp, **params: str) -> dict[str, Any]:
    response = await cds.client.get("/v1/cds/overrides/stats", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_feedback_records_an_override_once_per_card(cds: CdsApp) -> None:
    card = await critical_card(cds)
    for _ in range(3):  # the client retries, or reports the same dismissal twice
        response = await cds.client.post(
            FEEDBACK, json={"feedback": [overridden(card["uuid"], comment="on hold during course")]}
        )
        assert response.status_code == 200 and response.json() == {"recorded": 1, "unknownCards": []}
    assert await cds.scalar("SELECT COUNT(*) FROM cds_overrides") == 1
    row_user = await cds.scalar("SELECT user_id FROM cds_overrides WHERE card_uuid = $1", card["uuid"])
    assert row_user == "prac-cds-0001"  # the authenticated clinician, not a claim in the body


async def test_statistics_give_the_override_rate_per_rule(cds: CdsApp) -> None:
    first = await critical_card(cds, "enc-o-1")
    await critical_card(cds, "enc-o-2")
    await cds.client.post(FEEDBACK, json={"feedback": [overridden(first["uuid"])]})
    report = await stats(cds)
    (rule,) = report["rules"]
    assert rule == {
        "rule_id": "ddi.onc.statins-cyp3a4-inhibitors",
        "shown": 2,
        "overridden": 1,
        "accepted": 0,
        "override_rate": 0.5,
        "reasons": {"benefit-outweighs-risk": 1},
    }
    assert report["totals"] == {"shown": 2, "overridden": 1, "override_rate": 0.5}
    assert (await stats(cds, since="2999-01-01T00:00:00Z"))["rules"] == []


async def test_an_override_without_a_reason_counts_as_unspecified(cds: CdsApp) -> None:
    card = await critical_card(cds)
    await cds.client.post(FEEDBACK, json={"feedback": [overridden(card["uuid"], code=None)]})
    assert (await stats(cds))["rules"][0]["reasons"] == {"unspecified": 1}


async def test_accepted_suggestions_are_recorded(cds: CdsApp) -> None:
    card = await critical_card(cds)
    entry = {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
        "outcomeTimestamp": "2026-11-25T10:00:00Z",
    }
    assert (await cds.client.post(FEEDBACK, json={"feedback": [entry, entry]})).json()["recorded"] == 2
    rule = (await stats(cds))["rules"][0]
    assert (rule["accepted"], rule["overridden"]) == (1, 0)


async def test_unknown_cards_are_reported_and_known_ones_still_recorded(cds: CdsApp) -> None:
    card = await critical_card(cds)
    body = {"feedback": [overridden("no-such-card"), overridden(card["uuid"])]}
    assert (await cds.client.post(FEEDBACK, json=body)).json() == {
        "recorded": 1,
        "unknownCards": ["no-such-card"],
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "feedback must be a non-empty array"),
        (
            {"feedback": [{"outcome": "overridden", "outcomeTimestamp": "2026-11-25T10:00:00Z"}]},
            "feedback[0].card",
        ),
        (
            {"feedback": [{"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-11-25T10:00:00Z"}]},
            "outcome",
        ),
        ({"feedback": [{"card": "c", "outcome": "overridden"}]}, "outcomeTimestamp"),
        (
            {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-11-25T10:00:00Z"}]},
            "acceptedSuggestions",
        ),
    ],
)
async def test_bad_feedback_is_400(cds: CdsApp, body: dict[str, Any], message: str) -> None:
    response = await cds.client.post(FEEDBACK, json=body)
    assert response.status_code == 400 and message in response.json()["detail"]


async def test_record_override_through_the_contract_is_idempotent(cds: CdsApp) -> None:
    card = await critical_card(cds)
    record = OverrideRecord(
        card_uuid=card["uuid"],
        rule_id="ddi.onc.statins-cyp3a4-inhibitors",
        patient_id="pat-cds-0001",
        encounter_id="enc-o-1",
        user_id="prac-cds-0009",
        reason_code="will-monitor",
        comment="statin held for the antibiotic course",
    )
    await cds.api.record_override(record)
    await cds.api.record_override(record.model_copy(update={"reason_code": "benefit-outweighs-risk"}))
    assert (await stats(cds))["rules"][0]["reasons"] == {"will-monitor": 1}
    with pytest.raises(InvalidRequest):
        await cds.api.record_override(record.model_copy(update={"card_uuid": "other", "reason_code": " "}))


async def test_stats_rejects_a_naive_since(cds: CdsApp) -> None:
    response = await cds.client.get("/v1/cds/overrides/stats", params={"since": "2026-01-01T00:00:00"})
    assert response.status_code == 400
