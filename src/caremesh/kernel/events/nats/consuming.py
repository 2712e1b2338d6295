"""One subscription's pull loop: fetch a batch, deliver it, and only then ack it.

Batches are handled one after the other through :func:`deliver` and acked only after it returns
(applied or dead-lettered), so a crash redelivers and the inbox keeps the effect single. A slow
batch keeps its messages with in-progress acks; a batch whose delivery fails (its database is
down) is nak'ed with a delay and fetched again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import nats
import structlog
from nats.aio.msg import Msg
from nats.js.errors import NotFoundError

from caremesh.kernel.clock import utcnow
from caremesh.kernel.events.consumer import Subscription, dead_letter, deliver
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.events.nats.durable import PullSubscription
from caremesh.kernel.events.nats.settings import NatsSettings

log = structlog.get_logger(__name__)

Bind = Callable[[Subscription], Awaitable[PullSubscription]]


class PullConsumer:
    """Feeds one subscription from its durable consumer; ``bind`` (re)creates that consumer.

    The transport keeps one per subscription across restarts and runs :meth:`run` while started.
    """

    def __init__(self, subscription: Subscription, *, settings: NatsSettings, bind: Bind) -> None:
        self.subscription = subscription
        self._settings = settings
        self._bind = bind
        self._verified_at = 0.0

    async def run(self) -> None:
        """Consume until cancelled; any failure is logged and retried with a capped backoff."""
        sub = self.subscription
        pull: PullSubscription | None = None
        failures = 0
        while True:
            try:
                if pull is None:
                    pull = await self._bind(sub)
                await self._consume_batch(pull)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning(
                    "event consumer failed; retrying",
                    consumer=sub.consumer,
                    error=type(exc).__name__,
                    attempt=failures,
                )
                if isinstance(exc, NotFoundError):
                    # The consumer or stream vanished (a broker that lost its storage): recreate.
                    await _unbind(pull)
                    pull = None
                await asyncio.sleep(min(0.1 * 2**failures, 5.0))

    async def _consume_batch(self, pull: PullSubscription) -> None:
        messages = await self._fetch(pull)
        if not messages:
            await self._verify_consumer(pull)
            return
        try:
            async with self._claimed(messages):
                await self._handle(messages)
        except Exception:
            await _nak_all(messages, delay=1.0)
            raise
        for message in messages:
            await message.ack()

    async def _fetch(self, pull: PullSubscription) -> list[Msg]:
        """The next message as soon as it arrives, then up to a batch of those already waiting.

        Asking for a whole batch at once would make a lone event wait for the batch to fill or the
        pull to expire on some server versions; the message's ``num_pending`` says what is there.
        """
        try:
            first = await pull.fetch(1, timeout=self._settings.fetch_timeout)
        except TimeoutError:
            return []
        waiting = min(first[-1].metadata.num_pending or 0, self._settings.fetch_batch - 1)
        if waiting <= 0:
            return first
        try:
            return first + await pull.fetch(waiting, timeout=self._settings.fetch_timeout)
        except (TimeoutError, nats.errors.Error):
            return first  # handle what we hold; a broken connection shows on the next fetch

    async def _verify_consumer(self, pull: PullSubscription) -> None:
        """While idle, check now and then that the consumer exists: a deleted one only looks idle."""
        now = time.monotonic()
        if now - self._verified_at < self._settings.verify_every:
            return
        await pull.consumer_info()  # NotFoundError makes the loop recreate it
        self._verified_at = now

    async def _handle(self, messages: Sequence[Msg]) -> None:
        """Deliver in stream order; a message that is not an envelope is dead-lettered in its place."""
        envelopes: list[Envelope] = []
        for message in messages:
            try:
                envelopes.append(Envelope.from_bytes(message.data))
            except ValueError as exc:
                await deliver(self.subscription, envelopes)
                envelopes = []
                await self._dead_letter_malformed(message, reason=str(exc))
        await deliver(self.subscription, envelopes)

    async def _dead_letter_malformed(self, message: Msg, *, reason: str) -> None:
        sub = self.subscription
        event_type = message.subject.removeprefix(f"{self._settings.subject_prefix}.")
        if event_type not in sub.handlers:
            return
        headers = message.headers or {}
        placeholder = Envelope(
            id=headers.get("Nats-Msg-Id") or f"{self._settings.stream}:{message.metadata.sequence.stream}",
            type=event_type,
            version=0,
            source="unknown",
            aggregate_id="",
            occurred_at=utcnow(),
            payload={"raw": message.data.decode(errors="replace")},
        )
        await dead_letter(sub, placeholder, reason=reason, attempts=1)

    @contextlib.asynccontextmanager
    async def _claimed(self, messages: Sequence[Msg]) -> AsyncIterator[None]:
        """Keep the broker from redelivering messages that are still being handled."""
        keeper = asyncio.create_task(_keep_in_progress(messages, every=self._settings.ack_wait / 3))
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper


async def _keep_in_progress(messages: Sequence[Msg], *, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        with contextlib.suppress(nats.errors.Error):
            for message in messages:
                await message.in_progress()


async def _nak_all(messages: Sequence[Msg], *, delay: float) -> None:
    with contextlib.suppress(nats.errors.Error):
        for message in messages:
            await message.nak(delay=delay)


async def _unbind(pull: PullSubscription | None) -> None:
    if pull is not None:
        with contextlib.suppress(Exception):
            await pull.unsubscribe()
