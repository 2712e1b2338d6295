"""Consumers of scheduling's events. They only write notify's tables, in the consumer's transaction;
delivery happens later in the workers, so a slow provider never holds an event back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from caremesh.contracts.scheduling import AppointmentBooked, AppointmentCancelled
from caremesh.kernel.clock import Clock
from caremesh.kernel.events.consumer import HandlerContext
from caremesh.modules.notify.application.ports import NotificationStore, RecipientStore
from caremesh.modules.notify.application.queueing import MessageRequest, queue_message
from caremesh.modules.notify.domain.notification import (
    CANCELLATION,
    CONFIRMATION,
    MESSAGE,
    REMINDER,
    REMINDER_NOTICE,
    Notice,
    reminder_due,
)


def _notice(
    notice: Notice,
    event: AppointmentBooked | AppointmentCancelled,
    *,
    kind: str,
    variables: Mapping[str, object],
    due_at: datetime,
) -> MessageRequest:
    return MessageRequest(
        patient_id=event.patient_id,
        kind=kind,
        template=notice.template,
        category=notice.category,
        variables=variables,
        due_at=due_at,
        expires_at=event.start,
        appointment_id=event.appointment_id,
    )


async def on_appointment_booked(
    event: AppointmentBooked,
    hctx: HandlerContext,
    *,
    store: NotificationStore,
    recipients: RecipientStore,
    reminder_lead: timedelta,
    clock: Clock,
    wake_delivery: Callable[[], None],
) -> None:
    """Queue the confirmation now and, if there is still time, the reminder before the start."""
    conn, now = hctx.conn, clock()
    prefs = await recipients.get(conn, event.patient_id)
    variables = {
        "appointment_id": event.appointment_id,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "service_type": event.service_type,
    }
    confirmation = _notice(CONFIRMATION, event, kind=MESSAGE, variables=variables, due_at=now)
    await queue_message(conn, confirmation, prefs=prefs, store=store, now=now)
    due = reminder_due(event.start, reminder_lead, now)
    if due is not None:
        reminder = _notice(REMINDER_NOTICE, event, kind=REMINDER, variables=variables, due_at=due)
        await queue_message(conn, reminder, prefs=prefs, store=store, now=now)
    conn.on_commit(wake_delivery)


async def on_appointment_cancelled(
    event: AppointmentCancelled,
    hctx: HandlerContext,
    *,
    store: NotificationStore,
    recipients: RecipientStore,
    clock: Clock,
    wake_delivery: Callable[[], None],
) -> None:
    """Withdraw the pending reminder and queue the cancellation notice."""
    conn, now = hctx.conn, clock()
    await store.cancel_pending(
        conn, appointment_id=event.appointment_id, kind=REMINDER, reason="appointment-cancelled", now=now
    )
    prefs = await recipients.get(conn, event.patient_id)
    variables = {
        "appointment_id": event.appointment_id,
        "start": event.start.isoformat(),
        "reason": event.reason,
        "cancelled_at": event.cancelled_at.isoformat(),
    }
    notice = _notice(CANCELLATION, event, kind=MESSAGE, variables=variables, due_at=now)
    await queue_message(conn, notice, prefs=prefs, store=store, now=now)
    conn.on_commit(wake_delivery)
