"""The check use case: run the engine, then tier and suppress within the encounter, and remember cards.

Suppression (alert fatigue): an alert (same rule, same matched drugs) already shown in this
encounter comes back with ``suppressed=True`` unless it escalated to a higher indicator; a
critical card is never suppressed at order-sign, where it is the last chance to stop the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from caremesh.contracts.cds import Card, OrderCheckRequest, OrderCheckResult, Unrecognized
from caremesh.kernel.db.base import Connection
from caremesh.modules.cds.application import metrics
from caremesh.modules.cds.application.cards import card_for
from caremesh.modules.cds.application.deps import CdsDeps
from caremesh.modules.cds.application.mapping import engine_input
from caremesh.modules.cds.application.ports import ShownAlert, StoredCard
from caremesh.modules.cds.domain.engine import check
from caremesh.modules.cds.domain.findings import Finding
from caremesh.modules.cds.domain.knowledge import RANK

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _Shown:
    finding: Finding
    card: Card


async def check_orders(deps: CdsDeps, request: OrderCheckRequest) -> OrderCheckResult:
    kb = deps.knowledge
    given = engine_input(kb, request)
    findings = check(kb, given.drafts, given.active, given.allergies)
    try:
        cards = await _remember(deps, request, findings)
    except Exception as error:  # the check must still answer, unsuppressed
        # Never hide alerts because storage failed: every card is returned live; only feedback
        # on these card ids will be unknown later.
        metrics.STORE_FAILURES.inc()
        log.warning("cds card store unavailable", module="cds", error=type(error).__name__)
        cards = [card_for(finding, suppressed=False, patient_id=request.patient_id) for finding in findings]
    _count(request, cards, given.unrecognized)
    return OrderCheckResult(cards=cards, knowledge_version=kb.version, unrecognized=given.unrecognized)


async def _remember(deps: CdsDeps, request: OrderCheckRequest, findings: list[Finding]) -> list[Card]:
    if not findings:
        return []
    now = deps.clock()
    async with deps.db.transaction() as conn:
        shown_before = await _shown_before(deps, conn, request)
        shown = [
            _Shown(
                f,
                card_for(f, suppressed=_suppressed(f, request, shown_before), patient_id=request.patient_id),
            )
            for f in findings
        ]
        if request.encounter_id is not None:
            alerts = [
                ShownAlert(item.finding.subject_key, item.finding.rule_id, RANK[item.finding.indicator])
                for item in shown
                if not item.card.suppressed
            ]
            await deps.store.remember_shown(conn, request.patient_id, request.encounter_id, alerts, now)
        await deps.store.save_cards(
            conn, [_stored(request, item, deps.knowledge.version, now) for item in shown]
        )
    return [item.card for item in shown]


async def _shown_before(deps: CdsDeps, conn: Connection, request: OrderCheckRequest) -> dict[str, int]:
    if request.encounter_id is None:  # no encounter, no memory: every alert is live
        return {}
    return await deps.store.encounter_ranks(conn, request.patient_id, request.encounter_id)


def _suppressed(finding: Finding, request: OrderCheckRequest, shown_before: dict[str, int]) -> bool:
    if finding.indicator == "critical" and request.hook == "order-sign":
        return False
    previous = shown_before.get(finding.subject_key)
    return previous is not None and RANK[finding.indicator] <= previous


def _stored(request: OrderCheckRequest, item: _Shown, version: str, now: datetime) -> StoredCard:
    card = item.card
    return StoredCard(
        uuid=card.uuid,
        rule_id=card.rule_id,
        kind=card.kind,
        indicator=card.indicator,
        hook=request.hook,
        hook_instance=request.hook_instance,
        patient_id=request.patient_id,
        encounter_id=request.encounter_id,
        user_id=request.user_id,
        subject_key=item.finding.subject_key,
        suppressed=card.suppressed,
        knowledge_version=version,
        created_at=now,
    )


def _count(request: OrderCheckRequest, cards: list[Card], unrecognized: list[Unrecognized]) -> None:
    metrics.CHECKS.labels(request.hook).inc()
    for card in cards:
        metrics.CARDS.labels(card.kind, card.indicator, str(card.suppressed).lower()).inc()
    for item in unrecognized:
        metrics.UNCHECKED.labels(item.role).inc()
