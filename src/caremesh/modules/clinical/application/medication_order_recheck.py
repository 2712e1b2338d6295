"""The worker that completes what a degraded signature left open, once CDS answers again:
the interaction check of orders signed "check unavailable", and overrides CDS has not recorded."""

from __future__ import annotations

import asyncio

import structlog

from caremesh.contracts.cds import OverrideRecord
from caremesh.contracts.clinical_orders import MedicationOrderRechecked
from caremesh.modules.clinical.adapters import medication_order_sql as sql
from caremesh.modules.clinical.application import medication_orders as orders
from caremesh.modules.clinical.application.medication_order_cds import alerts_of
from caremesh.modules.clinical.application.medication_order_signing import order_alerts
from caremesh.modules.clinical.application.medication_orders_deps import OrderEntryDeps
from caremesh.modules.clinical.domain.medication_order import UNAVAILABLE, MedicationOrder

log = structlog.get_logger(__name__)
BATCH = 50


async def recheck_pending(deps: OrderEntryDeps) -> int:
    """One pass; returns how many orders it completed. Stops early while CDS is still down."""
    async with deps.db.read() as conn:
        pending = await sql.orders_needing_recheck(conn, BATCH)
    done = 0
    for order in pending:
        if order.interaction_check == UNAVAILABLE and not await _recheck(deps, order):
            break
        if order.overrides_pending and not await _record_overrides(deps, order):
            break
        done += 1
    return done


async def _recheck(deps: OrderEntryDeps, order: MedicationOrder) -> bool:
    _, request = await orders.check_request(deps, order, "order-sign", order.signed_by)
    result = await deps.cds.check(request)
    if result is None:
        return False
    async with deps.db.transaction() as conn:
        current = await orders.require_order(conn, order.id, lock=True)
        if current.interaction_check != UNAVAILABLE:
            return True
        now = deps.clock()
        checked = current.attach_recheck(alerts_of(result), result.knowledge_version, now)
        await sql.save_order(conn, checked)
        await sql.record_step(conn, order.id, "rechecked", now)
        event = MedicationOrderRechecked(
            order_id=order.id, patient_id=order.patient_id, alerts=order_alerts(checked), checked_at=now
        )
        await deps.outbox.add(conn, event)
    return True


async def _record_overrides(deps: OrderEntryDeps, order: MedicationOrder) -> bool:
    for override in order.overrides:
        alert = order.alert_for(override.rule_id)
        record = OverrideRecord(
            card_uuid=alert.card_uuid if alert and alert.card_uuid else f"{order.id}:{override.rule_id}",
            rule_id=override.rule_id,
            patient_id=order.patient_id,
            encounter_id=order.encounter_id,
            user_id=order.signed_by or order.ordered_by,
            reason_code=override.reason_code,
            comment=override.comment,
        )
        if not await deps.cds.record_override(record):
            return False
    async with deps.db.transaction() as conn:
        await conn.execute("UPDATE medication_orders SET overrides_pending = 0 WHERE id = $1", order.id)
    return True


async def run_recheck_worker(deps: OrderEntryDeps, interval: float) -> None:
    while True:
        try:
            await recheck_pending(deps)
        except Exception as exc:  # the worker must outlive a bad pass; the next pass retries
            log.warning("medication order re-check pass failed", error=type(exc).__name__)
        await asyncio.sleep(interval)
