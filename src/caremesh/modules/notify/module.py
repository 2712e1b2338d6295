"""Composition root of the notify module: stores, adapters, consumers, workers and routes."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import partial
from typing import Any

from caremesh.contracts.monitoring import AlertEscalated, AlertRaised
from caremesh.contracts.notify import NotifyAPI
from caremesh.contracts.scheduling import AppointmentBooked, AppointmentCancelled, SchedulingAPI
from caremesh.kernel.clock import utcnow
from caremesh.kernel.idempotency import IdempotencyService
from caremesh.kernel.module import ModuleContext, ModuleDefinition, Worker
from caremesh.modules.notify.adapters.notifications_sql import SqlNotificationStore
from caremesh.modules.notify.adapters.recipients_sql import SqlRecipientStore
from caremesh.modules.notify.adapters.senders import build_senders, close_senders
from caremesh.modules.notify.adapters.settings import NotifySettings, load_settings
from caremesh.modules.notify.adapters.template_files import load_default_templates
from caremesh.modules.notify.adapters.templates_sql import SqlTemplateStore
from caremesh.modules.notify.api.notifications import NotificationsDeps, notifications_router
from caremesh.modules.notify.api.recipients import recipients_router
from caremesh.modules.notify.api.staff import staff_router
from caremesh.modules.notify.application.appointments import on_appointment_booked, on_appointment_cancelled
from caremesh.modules.notify.application.care_team_alerts import CareTeamAlerts
from caremesh.modules.notify.application.delivery import DeliveryService, PreSendCheck
from caremesh.modules.notify.application.demo import load_demo
from caremesh.modules.notify.application.facade import NotifyFacade
from caremesh.modules.notify.application.outcomes import OutcomeRecorder
from caremesh.modules.notify.application.ports import Sender
from caremesh.modules.notify.application.reminders import AppointmentStillBooked
from caremesh.modules.notify.application.rendering import Renderer
from caremesh.modules.notify.application.seeding import TemplateSeeder
from caremesh.modules.notify.application.worker import DeliveryWorker
from caremesh.modules.notify.domain.notification import MESSAGE, REMINDER

NAME = "notify"


@dataclass(frozen=True)
class _Parts:
    settings: NotifySettings
    store: SqlNotificationStore
    recipients: SqlRecipientStore
    templates: SqlTemplateStore
    renderer: Renderer
    seeder: TemplateSeeder


def _parts(ctx: ModuleContext) -> _Parts:
    templates = SqlTemplateStore()
    return _Parts(
        settings=load_settings(ctx.config),
        store=SqlNotificationStore(),
        recipients=SqlRecipientStore(),
        templates=templates,
        renderer=Renderer(),
        seeder=TemplateSeeder(ctx.db, templates, load_default_templates),
    )


def _worker(
    ctx: ModuleContext,
    parts: _Parts,
    senders: dict[str, Sender],
    kind: str,
    pre_send: PreSendCheck | None = None,
) -> DeliveryWorker:
    """One delivery worker; messages and reminders each get their own, so a slow scheduling
    service (asked before every reminder) never delays confirmations."""
    delivery = parts.settings.delivery
    recorder = OutcomeRecorder(
        db=ctx.db,
        store=parts.store,
        outbox=ctx.outbox,
        policy=delivery.policy,
        clock=utcnow,
        rand=random.random,
    )
    service = DeliveryService(
        db=ctx.db, store=parts.store, recipients=parts.recipients, templates=parts.templates, senders=senders,
        renderer=parts.renderer, recorder=recorder, clock=utcnow, lease=delivery.lease, pre_send=pre_send,
    )  # fmt: skip
    return DeliveryWorker(
        service, kind=kind, batch_size=delivery.batch_size, poll_interval=delivery.poll_interval,
        prepare=parts.seeder.ensure,
    )  # fmt: skip


def _closing(run: Worker, senders: dict[str, Sender]) -> Worker:
    async def worker() -> None:
        try:
            await run()
        finally:
            await close_senders(senders)

    return worker


def register(ctx: ModuleContext) -> None:
    parts = _parts(ctx)
    senders = build_senders(parts.settings)
    still_booked = AppointmentStillBooked(
        ctx.client(SchedulingAPI),  # type: ignore[type-abstract]  # a Protocol names the API
        postpone=parts.settings.delivery.reminder_postpone,
        clock=utcnow,
    )
    messages = _worker(ctx, parts, senders, MESSAGE)
    reminders = _worker(ctx, parts, senders, REMINDER, pre_send=still_booked)
    ctx.add_worker("delivery", _closing(messages.run, senders))
    ctx.add_worker("reminders", _closing(reminders.run, senders))

    common: dict[str, Any] = {"store": parts.store, "recipients": parts.recipients, "clock": utcnow,
                              "wake_delivery": messages.wake}  # fmt: skip
    ctx.subscribe("appointments").on(
        AppointmentBooked,
        partial(on_appointment_booked, reminder_lead=parts.settings.delivery.reminder_lead, **common),
    ).on(AppointmentCancelled, partial(on_appointment_cancelled, **common))

    ctx.provide(NotifyAPI, NotifyFacade(ctx.db, parts.store))
    care_team = CareTeamAlerts(store=parts.store, recipients=parts.recipients, templates=parts.templates,
                               clock=utcnow, wake_delivery=messages.wake)  # fmt: skip
    alerts = ctx.subscribe("care-team-alerts").on(AlertRaised, care_team.on_raised)
    alerts.on(AlertEscalated, care_team.on_escalated)
    ctx.add_router(recipients_router(db=ctx.db, recipients=parts.recipients, clock=utcnow))
    ctx.add_router(staff_router(db=ctx.db, recipients=parts.recipients, clock=utcnow))
    ctx.add_router(
        notifications_router(
            NotificationsDeps(
                db=ctx.db, store=parts.store, recipients=parts.recipients, templates=parts.templates,
                renderer=parts.renderer, idempotency=IdempotencyService(ctx.db),
                ensure_templates=parts.seeder.ensure, wake_delivery=messages.wake, clock=utcnow,
            )
        )
    )  # fmt: skip


async def demo(ctx: ModuleContext) -> dict[str, Any]:
    seeder = TemplateSeeder(ctx.db, SqlTemplateStore(), load_default_templates)
    return await load_demo(ctx.db, recipients=SqlRecipientStore(), seeder=seeder, clock=utcnow)


MODULE = ModuleDefinition(
    name=NAME,
    migrations="caremesh.modules.notify.adapters.migrations",
    register=register,
    demo=demo,
)
