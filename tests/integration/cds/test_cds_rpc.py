"""CdsAPI over real HTTP (uvicorn) behaves like the in-process facade: typed values, errors by class."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from cds_harness import ServerThread, topology_for

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime
from caremesh.contracts.cds import (
    AllergyItem,
    CdsAPI,
    Coding,
    MedicationItem,
    OrderCheckRequest,
    OrderCheckResult,
    OverrideRecord,
)
from caremesh.kernel.errors import InvalidRequest
from caremesh.kernel.resilience import ResiliencePolicy
from caremesh.kernel.rpc import RemoteClient

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.fixture
async def remote(sqlite_url: str) -> AsyncIterator[CdsAPI]:
    app = build_app(build_runtime(topology_for(sqlite_url)))
    with ServerThread(app) as server:
        client = RemoteClient(CdsAPI, server.base_url, "clinical-test", policy=ResiliencePolicy())
        try:
            yield client  # type: ignore[misc]
        finally:
            await client.aclose()


async def test_check_orders_and_record_override_over_http(remote: CdsAPI) -> None:
    request = OrderCheckRequest(
        hook="order-sign",
        patient_id="pat-cds-rpc",
        encounter_id="enc-rpc",
        user_id="prac-1",
        drafts=[
            MedicationItem(
                order_id="mr-1", medication=Coding(system=RXNORM, code="2231", display="cephalexin")
            )
        ],
        allergies=[
            AllergyItem(allergy_id="al-1", substance=Coding(system=RXNORM, code="723"), criticality="high")
        ],
    )
    result = await remote.check_orders(request)
    assert isinstance(result, OrderCheckResult)
    assert result.knowledge_version and result.highest == "critical"
    (card,) = result.cards
    assert (card.rule_id, card.kind, card.order_id) == (
        "allergy.cross.aminopenicillin-r1-cephalosporins",
        "drug-allergy",
        "mr-1",
    )
    override = OverrideRecord(
        card_uuid=card.uuid,
        rule_id=card.rule_id,
        patient_id="pat-cds-rpc",
        encounter_id="enc-rpc",
        user_id="prac-1",
        reason_code="patient-tolerated-before",
    )
    assert await remote.record_override(override) is None
    assert await remote.record_override(override) is None  # idempotent per card
    with pytest.raises(InvalidRequest):
        await remote.record_override(override.model_copy(update={"card_uuid": "c-2", "reason_code": ""}))


async def test_unrecognized_items_cross_the_wire(remote: CdsAPI) -> None:
    request = OrderCheckRequest(
        hook="order-select",
        patient_id="pat-cds-rpc",
        drafts=[
            MedicationItem(order_id="mr-9", medication=Coding(system=RXNORM, code="0", display="Unknown XY"))
        ],
    )
    result = await remote.check_orders(request)
    assert result.cards == [] and [(u.role, u.reference) for u in result.unrecognized] == [("draft", "mr-9")]
