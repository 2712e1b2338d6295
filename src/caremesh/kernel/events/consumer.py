"""Idempotent consumers: the inbox mark commits with the handler's effect, so each effect happens once.

Delivery is at least once (a relay or broker may redeliver after a crash); the inbox turns that into
exactly-once effects. A batch is first tried in one transaction (fast path); if anything in it fails,
events are retried one by one with exponential backoff and jitter, and an event that still fails is
written to the dead-letter store with the reason, so one poison event never blocks the stream.
Handlers must only change their module's database: anything outside goes through the module's own
outbox or work queue, so a rolled-back attempt leaves no trace.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError
from tenacity import AsyncRetrying, retry_if_not_exception_type, stop_after_attempt, wait_exponential_jitter

from caremesh.contracts.base import Event
from caremesh.kernel.clock import utcnow
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.ids import new_id
from caremesh.kernel.observability import metrics, tracing

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class HandlerContext:
    conn: Connection
    envelope: Envelope


Handler = Callable[[Any, HandlerContext], Awaitable[None]]


class PoisonEvent(Exception):
    """An event that can never succeed (unknown version, invalid payload): no retries."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_wait: float = 0.05
    max_wait: float = 2.0


@dataclass
class Subscription:
    """One durable consumer: a module's handlers for some event types, with its own inbox name."""

    consumer: str
    db: Database
    handlers: dict[str, tuple[type[Event], Handler]] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @property
    def event_types(self) -> list[str]:
        return sorted(self.handlers)

    def on(self, event_class: type[Event], handler: Handler) -> Subscription:
        self.handlers[event_class.event_type] = (event_class, handler)
        return self


def _decode(sub: Subscription, envelope: Envelope) -> tuple[Event, Handler]:
    event_class, handler = sub.handlers[envelope.type]
    if envelope.version != event_class.version:
        raise PoisonEvent(
            f"{envelope.type} version {envelope.version} is not understood "
            f"(consumer knows version {event_class.version})"
        )
    try:
        return event_class.model_validate(envelope.payload), handler
    except ValidationError as exc:
        raise PoisonEvent(f"invalid {envelope.type} payload: {exc.errors(include_url=False)}") from exc


async def _claim(conn: Connection, consumer: str, event_id: str) -> bool:
    """Record the event in the inbox; False if this consumer already processed it."""
    changed = await conn.execute(
        "INSERT INTO inbox (consumer, event_id, processed_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (consumer, event_id) DO NOTHING",
        consumer,
        event_id,
        utcnow(),
    )
    return changed == 1


async def _apply(sub: Subscription, conn: Connection, envelope: Envelope) -> None:
    if envelope.type not in sub.handlers:
        return
    event, handler = _decode(sub, envelope)
    if not await _claim(conn, sub.consumer, envelope.id):
        metrics.EVENTS_HANDLED.labels(sub.consumer, envelope.type, "duplicate").inc()
        return
    started = time.perf_counter()
    with tracing.consumer_span(sub.consumer, envelope):
        await handler(event, HandlerContext(conn=conn, envelope=envelope))
    metrics.EVENT_HANDLER_SECONDS.labels(sub.consumer, envelope.type).observe(time.perf_counter() - started)
    metrics.EVENTS_HANDLED.labels(sub.consumer, envelope.type, "ok").inc()


async def _apply_batch(sub: Subscription, envelopes: Sequence[Envelope]) -> None:
    async with sub.db.transaction() as conn:
        for envelope in envelopes:
            await _apply(sub, conn, envelope)


async def _apply_one_with_retries(sub: Subscription, envelope: Envelope) -> None:
    policy = sub.retry
    attempts = 0
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(policy.attempts),
            wait=wait_exponential_jitter(multiplier=policy.initial_wait, max=policy.max_wait),
            retry=retry_if_not_exception_type(PoisonEvent),
            reraise=True,
        ):
            with attempt:
                attempts += 1
                await _apply_batch(sub, [envelope])
    except Exception as exc:
        await dead_letter(sub, envelope, reason=_reason(exc), attempts=attempts)


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


async def dead_letter(sub: Subscription, envelope: Envelope, *, reason: str, attempts: int) -> None:
    async with sub.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO dead_letters "
            "(id, consumer, event_id, event_type, body, reason, attempts, failed_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (consumer, event_id) DO UPDATE SET "
            "reason = excluded.reason, attempts = dead_letters.attempts + excluded.attempts, "
            "failed_at = excluded.failed_at, replayed_at = NULL",
            new_id(),
            sub.consumer,
            envelope.id,
            envelope.type,
            envelope.to_bytes().decode(),
            reason,
            attempts,
            utcnow(),
        )
    metrics.EVENTS_HANDLED.labels(sub.consumer, envelope.type, "dead_lettered").inc()
    # The reason can quote payload values, so only identifiers are logged.
    log.warning("event dead-lettered", consumer=sub.consumer, event_id=envelope.id, event_type=envelope.type)


async def deliver(sub: Subscription, envelopes: Sequence[Envelope]) -> None:
    """Process envelopes in order; return once each is either applied or dead-lettered."""
    relevant = [e for e in envelopes if e.type in sub.handlers]
    if not relevant:
        return
    try:
        await _apply_batch(sub, relevant)
        return
    except Exception as exc:
        if len(relevant) == 1 and isinstance(exc, PoisonEvent):
            await dead_letter(sub, relevant[0], reason=_reason(exc), attempts=1)
            return
    for envelope in relevant:
        await _apply_one_with_retries(sub, envelope)
