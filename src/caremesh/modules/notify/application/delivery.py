"""One pass of a delivery worker: claim due notifications, re-check the rules, render, send, record.

The claim commits before any provider is called, so no database transaction (or SQLite's single
writer) is held during network I/O. Delivery is at least once: if the process dies after the
provider accepted a message but before the outcome committed, the lease expires and the message
is sent again; an email carries its notification id in a header so duplicates can be recognised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

import structlog

from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Database
from caremesh.modules.notify.application.outcomes import Fail, Outcome, OutcomeRecorder, Postpone, Sent, Skip
from caremesh.modules.notify.application.ports import NotificationStore, RecipientStore, Sender, TemplateStore
from caremesh.modules.notify.application.rendering import Renderer
from caremesh.modules.notify.domain.delivery import (
    DeliveryError,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from caremesh.modules.notify.domain.notification import DueNotification, is_expired
from caremesh.modules.notify.domain.preferences import Preferences, skip_reason
from caremesh.modules.notify.domain.templates import MessageTemplate, TemplateError

log = structlog.get_logger(__name__)

# A last look before sending (e.g. "is the appointment still booked?"): None means go ahead.
PreSendCheck = Callable[[DueNotification], Awaitable[Skip | Postpone | None]]


class DeliveryService:
    def __init__(
        self,
        *,
        db: Database,
        store: NotificationStore,
        recipients: RecipientStore,
        templates: TemplateStore,
        senders: Mapping[str, Sender],
        renderer: Renderer,
        recorder: OutcomeRecorder,
        clock: Clock,
        lease: timedelta,
        pre_send: PreSendCheck | None = None,
    ) -> None:
        self._db, self._store, self._recipients, self._templates = db, store, recipients, templates
        self._senders, self._renderer, self._recorder = senders, renderer, recorder
        self._clock, self._lease, self._pre_send = clock, lease, pre_send

    async def run_once(self, *, kind: str, limit: int) -> int:
        """Deliver up to ``limit`` due notifications of ``kind``; return how many were claimed."""
        now = self._clock()
        async with self._db.transaction() as conn:
            claimed = await self._store.claim_due(
                conn, kind=kind, now=now, lease_until=now + self._lease, limit=limit
            )
        results = await asyncio.gather(*(self._deliver(due) for due in claimed), return_exceptions=True)
        for due, result in zip(claimed, results, strict=True):
            if isinstance(result, Exception):
                # The lease makes it due again; nothing is lost.
                log.warning("delivery not recorded", notification_id=due.id, error=type(result).__name__)
        return len(claimed)

    async def _deliver(self, due: DueNotification) -> None:
        await self._recorder.record(due, await self._attempt(due))

    async def _attempt(self, due: DueNotification) -> Outcome:
        if is_expired(due.expires_at, self._clock()):
            return Skip("expired")
        async with self._db.read() as conn:
            prefs = await self._recipients.get(conn, due.patient_id)
            template = await self._templates.get(conn, due.template, due.channel) if due.channel else None
        reason = skip_reason(prefs, due.channel, due.category) if due.channel else "no-channel"
        if reason is not None or prefs is None:
            return Skip(reason or "no-preferences")
        if self._pre_send is not None and (verdict := await self._pre_send(due)) is not None:
            return verdict
        return await self._send(due, prefs, template)

    async def _send(
        self, due: DueNotification, prefs: Preferences, template: MessageTemplate | None
    ) -> Outcome:
        sender = self._senders.get(str(due.channel))
        provider = sender.provider if sender is not None else "none"
        started = self._clock()
        try:
            if sender is None:
                raise PermanentDeliveryError("no-adapter", f"no adapter configured for channel {due.channel}")
            receipt = await sender.send(self._compose(due, prefs, template))
        except DeliveryError as error:
            return Fail(provider, error, started)
        except Exception as exc:
            # An adapter bug must not kill the worker; it counts as a transient failure.
            log.exception("unexpected delivery error", notification_id=due.id, provider=provider)
            return Fail(provider, TransientDeliveryError("unexpected-error", type(exc).__name__), started)
        return Sent(provider, receipt, started)

    def _compose(
        self, due: DueNotification, prefs: Preferences, template: MessageTemplate | None
    ) -> OutgoingMessage:
        channel = str(due.channel)
        if template is None:
            raise PermanentDeliveryError("template-missing", f"no {channel} template {due.template!r}")
        try:
            rendered = self._renderer.render(
                template, due.variables, timezone=prefs.timezone, recipient_name=prefs.preferred_name
            )
        except TemplateError as exc:
            raise PermanentDeliveryError("template-error", str(exc)) from exc
        return OutgoingMessage(
            notification_id=due.id,
            channel=channel,
            to=str(prefs.address(channel)),
            subject=rendered.subject,
            body=rendered.body,
        )
