"""Signing: commit only against the medication context the check saw, never against stale data.

The signing transaction locks the patient's medication-context version (``lock_context_version``)
and compares it with the version the order's check recorded. A different version means an
allergy or medication changed since: the transaction raises :class:`NeedsCheck`, nothing commits,
CDS runs again on fresh data, and signing is refused (409) if that brings alerts the prescriber has
not seen. Writers of the patient's context wait for the lock, so none can slip in between.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from caremesh.contracts.clinical_orders import MedicationOrderSigned, OrderAlert
from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Conflict, InvalidRequest
from caremesh.kernel.idempotency import StoredResponse
from caremesh.modules.clinical.adapters import medication_order_sql as sql
from caremesh.modules.clinical.application import medication_orders as orders
from caremesh.modules.clinical.application.medication_order_fhir import write_medication_request
from caremesh.modules.clinical.application.medication_orders_deps import (
    DEGRADED_ORDERS,
    SIGN_REFUSALS,
    SIGNED_ORDERS,
    NeedsCheck,
    OrderEntryDeps,
)
from caremesh.modules.clinical.domain.medication_order import (
    DRAFT,
    UNAVAILABLE,
    Alert,
    MedicationOrder,
    Override,
    new_alerts,
)

MAX_CHECKS = 3  # a context changing under every re-check is a conflict the prescriber retries
Respond = Callable[[Callable[[Connection], Awaitable[StoredResponse]]], Awaitable[object]]


async def sign_with_rechecks(
    deps: OrderEntryDeps,
    order_id: str,
    *,
    user: str,
    overrides: tuple[Override, ...],
    respond: Respond,
    present: Callable[[Connection, MedicationOrder], Awaitable[dict[str, object]]],
) -> object:
    """Run the idempotent signing; when it needs a check, check and try again (bounded)."""
    fresh = False
    for _ in range(MAX_CHECKS):
        try:
            return await respond(signing_operation(deps, order_id, user, overrides, fresh, present))
        except NeedsCheck:
            previous, order = await orders.check(deps, order_id, hook="order-sign", user=user)
            fresh = True
            unseen = new_alerts(previous, order.alerts, {override.rule_id for override in overrides})
            if unseen:
                SIGN_REFUSALS.inc()
                raise Conflict(
                    "the patient's allergies or medications changed and the new check raised alerts; "
                    "review them before signing",
                    details={"alerts": [alert_json(alert) for alert in unseen]},
                ) from None
    raise Conflict("the patient's allergies or medications keep changing; check and sign again")


def signing_operation(
    deps: OrderEntryDeps,
    order_id: str,
    user: str,
    overrides: tuple[Override, ...],
    fresh: bool,
    present: Callable[[Connection, MedicationOrder], Awaitable[dict[str, object]]],
) -> Callable[[Connection], Awaitable[StoredResponse]]:
    async def operation(conn: Connection) -> StoredResponse:
        order = await orders.require_order(conn, order_id, lock=True)
        if order.status not in (DRAFT, "checked"):
            raise Conflict(f"the order is already {order.status}")
        if order.status == DRAFT:
            raise NeedsCheck(order_id)
        version = await sql.lock_context_version(conn, order.patient_id)
        if version != order.checked_version:
            raise NeedsCheck(order_id)
        if order.interaction_check == UNAVAILABLE and not fresh:
            raise NeedsCheck(order_id)  # CDS may be back: try once more before signing degraded
        missing = order.missing_overrides(overrides)
        if missing:
            raise InvalidRequest(
                "every warning or critical alert needs an override reason",
                details={"missing_overrides": [alert_json(alert) for alert in missing]},
            )
        signed = order.sign(user, overrides, deps.clock())
        await _commit_signature(deps, conn, signed)
        return StoredResponse.json(200, await present(conn, signed))

    return operation


async def _commit_signature(deps: OrderEntryDeps, conn: Connection, signed: MedicationOrder) -> None:
    assert signed.signed_at is not None and signed.signed_by is not None
    await sql.save_order(conn, signed)
    await write_medication_request(conn, deps.engine, signed, new=False)
    await sql.record_step(conn, signed.id, "signed", signed.signed_at)
    await deps.outbox.add(conn, signed_event(signed))
    conn.on_commit(SIGNED_ORDERS.labels(interaction_check=signed.interaction_check).inc)
    if signed.interaction_check == UNAVAILABLE:
        conn.on_commit(DEGRADED_ORDERS.inc)


def order_alerts(order: MedicationOrder) -> list[OrderAlert]:
    return [
        OrderAlert(
            rule_id=alert.rule_id,
            kind=alert.kind,
            indicator=alert.indicator,  # type: ignore[arg-type]
            summary=alert.summary,
            override_reason=_reason_of(order, alert),
        )
        for alert in order.alerts
    ]


def _reason_of(order: MedicationOrder, alert: Alert) -> str | None:
    override = order.override_for(alert.rule_id)
    return None if override is None else override.reason_code


def signed_event(order: MedicationOrder) -> MedicationOrderSigned:
    rx = order.prescription
    assert order.signed_at is not None and order.signed_by is not None
    return MedicationOrderSigned(
        order_id=order.id,
        patient_id=order.patient_id,
        encounter_id=order.encounter_id,
        medication_code=rx.medication_code,
        medication_display=rx.medication_display,
        dose_value=str(rx.dose_value),
        dose_unit=rx.dose_unit,
        frequency=rx.frequency,
        doses_per_day=rx.doses_per_day,
        route=rx.route,
        duration_days=rx.duration_days,
        quantity=rx.quantity,
        signed_by=order.signed_by,
        signed_at=order.signed_at,
        interaction_check="unavailable" if order.interaction_check == UNAVAILABLE else "completed",
        alerts=order_alerts(order),
    )


def alert_json(alert: Alert) -> dict[str, object]:
    return {
        "rule_id": alert.rule_id,
        "kind": alert.kind,
        "indicator": alert.indicator,
        "summary": alert.summary,
        "detail": alert.detail,
        "card_uuid": alert.card_uuid,
        "suppressed": alert.suppressed,
    }
