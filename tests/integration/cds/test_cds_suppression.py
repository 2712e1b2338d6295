"""Alert fatigue: the same alert is suppressed within an encounter unless it escalates, and a
critical card is never suppressed at order-sign. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from cds_harness import CdsApp

from caremesh.contracts.cds import Coding, DoseAmount, MedicationItem, OrderCheckRequest

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def item(rxcui: str, name: str, order_id: str | None = None, dose: float | None = None) -> MedicationItem:
    return MedicationItem(
        order_id=order_id,
        medication=Coding(system=RXNORM, code=rxcui, display=name),
        daily_dose=None if dose is None else DoseAmount(value=dose, unit="mg"),
    )


def request(
    hook: str, drafts: list[MedicationItem], active: list[MedicationItem], encounter: str | None = "enc-1"
) -> OrderCheckRequest:
    return OrderCheckRequest(
        hook=hook,  # type: ignore[arg-type]
        patient_id="pat-cds-0002",
        encounter_id=encounter,
        user_id="prac-cds-0001",
        drafts=drafts,
        active_medications=active,
    )


WARFARIN = item("11289", "warfarin", "mr-warfarin")
NAPROXEN = item("7258", "naproxen", "mr-naproxen")  # warfarin + NSAID: warning
SIMVASTATIN = item("36567", "simvastatin", "mr-simva")
CLARITHROMYCIN = item("21212", "clarithromycin", "mr-clari")  # contraindicated: critical


async def test_a_warning_shown_at_order_select_is_suppressed_later_in_the_encounter(cds: CdsApp) -> None:
    first = await cds.api.check_orders(request("order-select", [NAPROXEN], [WARFARIN]))
    assert [(c.rule_id, c.suppressed) for c in first.cards] == [("ddi.major.warfarin-nsaids", False)]
    assert first.highest == "warning"

    again = await cds.api.check_orders(request("order-sign", [NAPROXEN], [WARFARIN]))
    assert [(c.rule_id, c.suppressed) for c in again.cards] == [("ddi.major.warfarin-nsaids", True)]
    assert again.highest is None  # suppressed cards are not live
    assert again.cards[0].uuid != first.cards[0].uuid


async def test_a_critical_card_is_never_suppressed_at_order_sign(cds: CdsApp) -> None:
    checks = [
        await cds.api.check_orders(request(hook, [SIMVASTATIN], [CLARITHROMYCIN]))
        for hook in ("order-select", "order-select", "order-sign", "order-sign")
    ]
    assert [c.cards[0].suppressed for c in checks] == [False, True, False, False]
    assert [c.highest for c in checks] == ["critical", None, "critical", "critical"]


async def test_an_escalated_alert_is_shown_again(cds: CdsApp) -> None:
    # The opioid load is one running total per encounter: warning, the same warning again
    # (suppressed), then critical once more opioid is added (an escalation, shown).
    oxy = item("7804", "oxycodone", "mr-oxy", dose=40)  # 60 MME: warning
    morphine = item("7052", "morphine", "mr-mor", dose=40)  # + 40 MME = 100: critical
    warning = await cds.api.check_orders(request("order-select", [oxy], []))
    repeated = await cds.api.check_orders(request("order-select", [oxy], []))
    critical = await cds.api.check_orders(request("order-select", [oxy], [morphine]))
    back_to_warning = await cds.api.check_orders(request("order-select", [oxy], []))
    assert [(c.indicator, c.suppressed) for c in warning.cards] == [("warning", False)]
    assert [(c.indicator, c.suppressed) for c in repeated.cards] == [("warning", True)]
    assert [(c.indicator, c.suppressed) for c in critical.cards] == [("critical", False)]
    assert [(c.indicator, c.suppressed) for c in back_to_warning.cards] == [("warning", True)]


async def test_another_encounter_or_no_encounter_shows_it_again(cds: CdsApp) -> None:
    await cds.api.check_orders(request("order-select", [NAPROXEN], [WARFARIN], encounter="enc-a"))
    other = await cds.api.check_orders(request("order-select", [NAPROXEN], [WARFARIN], encounter="enc-b"))
    none_1 = await cds.api.check_orders(request("order-select", [NAPROXEN], [WARFARIN], encounter=None))
    none_2 = await cds.api.check_orders(request("order-select", [NAPROXEN], [WARFARIN], encounter=None))
    assert [c.cards[0].suppressed for c in (other, none_1, none_2)] == [False, False, False]


async def test_every_card_is_stored_for_feedback_and_statistics(cds: CdsApp) -> None:
    await cds.api.check_orders(request("order-select", [NAPROXEN], [WARFARIN]))
    await cds.api.check_orders(request("order-sign", [NAPROXEN], [WARFARIN]))
    assert await cds.scalar("SELECT COUNT(*) FROM cds_cards") == 2
    assert await cds.scalar("SELECT COUNT(*) FROM cds_cards WHERE suppressed = 1") == 1
    assert await cds.scalar("SELECT times_shown FROM cds_encounter_alerts") == 1


async def test_the_hooks_response_leaves_suppressed_cards_out(cds: CdsApp) -> None:
    from cds_harness import hook_body, med

    body = hook_body(
        "order-select",
        [med("mr-n", "7258", "naproxen", status="draft")],
        active=[med("mr-w", "11289", "warfarin")],
    )
    first = (await cds.client.post("/cds-services/medication-safety-select", json=body)).json()["cards"]
    body["hookInstance"] = "another-call"
    second = (await cds.client.post("/cds-services/medication-safety-select", json=body)).json()["cards"]
    assert len(first) == 1 and second == []


async def test_when_the_card_store_fails_every_card_is_returned_live(cds: CdsApp) -> None:
    await cds.api.check_orders(request("order-select", [NAPROXEN], [WARFARIN]))
    async with cds.runtime.contexts["cds"].db.transaction() as conn:
        await conn.execute("DROP TABLE cds_cards")  # a real storage fault: the insert will fail
    result = await cds.api.check_orders(request("order-select", [NAPROXEN], [WARFARIN]))
    # No suppression without the store: better a repeated alert than a hidden one.
    assert [(c.rule_id, c.suppressed) for c in result.cards] == [("ddi.major.warfarin-nsaids", False)]
    assert result.highest == "warning"
