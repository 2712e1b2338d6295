"""The NATS JetStream transport: a durable stream, broker-side dedupe, durable pull consumers.

Guarantees, and the settings that give them:

* **Publish.** Each envelope goes to ``<prefix>.<event type>`` with ``Nats-Msg-Id`` = envelope id,
  so the stream drops a republish (a relay that crashed before marking its outbox rows) within
  ``duplicate_window``; a later copy is dropped by the consumers' inbox. ``publish`` returns only
  after every PubAck. Publishes are pipelined in batch order on one connection (the stream keeps
  that order), but an envelope is sent only once the previous envelope of the same aggregate is
  acked: whatever a reconnect loses or resends, an event is never stored before its aggregate's
  earlier events. The client does not buffer while disconnected, so publishing fails fast and the
  relay's backoff retries; a restarted broker is reconnected to (forever, every 0.5 s).
* **Consume.** One durable pull consumer per subscription and one fetch loop each; batches are
  handled one after the other through :func:`deliver` and acked only after it returns (applied or
  dead-lettered), so a crash redelivers and the inbox keeps the effect single.
* **Redelivery.** The kernel consumer already retries and dead-letters, so the broker redelivers only
  after a crash: ``max_deliver`` is unlimited, ``ack_wait`` is the crash-detection delay, and a slow
  batch keeps its messages with in-progress acks. ``max_ack_pending`` equals the fetch batch, so
  replicas sharing a durable consumer take turns instead of overtaking each other. A batch whose
  delivery fails (its database is down) is nak'ed with a delay and fetched again.

The stream name and subject prefix are settings (``CAREMESH_NATS_STREAM``,
``CAREMESH_NATS_SUBJECT_PREFIX``), so tests and benchmarks use a stream of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import nats
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, PubAck, StorageType, StreamConfig
from nats.js.errors import NoStreamResponseError, NotFoundError

from caremesh.kernel.clock import utcnow
from caremesh.kernel.events.consumer import Subscription, dead_letter, deliver
from caremesh.kernel.events.envelope import Envelope

log = structlog.get_logger(__name__)

PullSubscription = JetStreamContext.PullSubscription


@dataclass(frozen=True)
class NatsSettings:
    stream: str = "CAREMESH_EVENTS"
    subject_prefix: str = "caremesh.events"
    duplicate_window: float = 120.0
    max_age: float = 7 * 24 * 3600.0  # long enough to replay a read model after an incident
    ack_wait: float = 30.0
    fetch_batch: int = 200
    fetch_timeout: float = 1.0
    publish_timeout: float = 5.0
    reconnect_wait: float = 0.5
    verify_every: float = 15.0

    @classmethod
    def from_env(cls) -> NatsSettings:
        """Defaults, overridden by ``CAREMESH_NATS_STREAM`` / ``_SUBJECT_PREFIX`` / ``_ACK_WAIT``."""
        env = os.environ
        return cls(
            stream=env.get("CAREMESH_NATS_STREAM", cls.stream),
            subject_prefix=env.get("CAREMESH_NATS_SUBJECT_PREFIX", cls.subject_prefix),
            ack_wait=float(env.get("CAREMESH_NATS_ACK_WAIT", cls.ack_wait)),
        )


def durable_name(consumer: str) -> str:
    """A JetStream consumer name for a subscription (no dots, wildcards or spaces)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", consumer.replace(".", "-"))


def filter_subjects(prefix: str, event_types: Sequence[str], *, multi_filter: bool) -> list[str]:
    """Subjects a consumer listens to; one wildcard when the server takes only one filter (< 2.10)."""
    subjects = [f"{prefix}.{event_type}" for event_type in event_types]
    if len(subjects) <= 1 or multi_filter:
        return subjects
    token_lists = [subject.split(".") for subject in subjects]
    common: list[str] = []
    for tokens in zip(*token_lists, strict=False):
        if len(set(tokens)) > 1:
            break
        common.append(tokens[0])
    shortest = min(len(tokens) for tokens in token_lists)
    return [".".join(common[: shortest - 1]) + ".>"]


class NatsTransport:
    def __init__(self, url: str, *, service: str, settings: NatsSettings | None = None) -> None:
        self.url = url
        self.service = service
        self.settings = settings or NatsSettings.from_env()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._stream_ready = False
        self._subscriptions: list[Subscription] = []
        self._loops: list[asyncio.Task[None]] = []
        self._verified_at: dict[str, float] = {}
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect (retrying forever) and make sure the stream exists; start subscribed loops."""
        self._stopping = False
        self._nc = await nats.connect(
            servers=[self.url],
            name=f"caremesh-{self.service}",
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=self.settings.reconnect_wait,
            connect_timeout=2,
            pending_size=0,  # no buffering while disconnected: fail fast, the callers retry
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )
        self._js = self._nc.jetstream(timeout=self.settings.publish_timeout)
        await self._ensure_stream()
        for subscription in self._subscriptions:
            self._spawn(subscription)

    async def stop(self) -> None:
        self._stopping = True
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        self._loops.clear()
        if self._nc is not None and not self._nc.is_closed:
            # Flush so the last acks reach the server; no drain: a pull subscription's queue of
            # already-fetched messages never "empties", so a drain would wait for its timeout.
            with contextlib.suppress(Exception):
                await self._nc.flush(timeout=2)
            await self._nc.close()
        self._nc = self._js = None

    async def ping(self) -> None:
        """Ready when connected and the stream answers."""
        if self._nc is None or not self._nc.is_connected:
            raise ConnectionError("NATS is not connected")
        await self._jetstream().stream_info(self.settings.stream)

    def subject_of(self, event_type: str) -> str:
        return f"{self.settings.subject_prefix}.{event_type}"

    def _jetstream(self) -> JetStreamContext:
        if self._js is None:
            raise ConnectionError("NATS transport is not started")
        return self._js

    async def _ensure_stream(self) -> None:
        js = self._jetstream()
        try:
            await js.stream_info(self.settings.stream)
        except NotFoundError:
            await js.add_stream(self._stream_config())
            log.info("event stream created", stream=self.settings.stream)
        self._stream_ready = True

    def _stream_config(self) -> StreamConfig:
        return StreamConfig(
            name=self.settings.stream,
            subjects=[f"{self.settings.subject_prefix}.>"],
            storage=StorageType.FILE,
            duplicate_window=self.settings.duplicate_window,
            max_age=self.settings.max_age,
        )

    # -- publishing ----------------------------------------------------------------------------

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Return once the stream acked every envelope; raise (nothing is assumed stored) otherwise."""
        if not self._stream_ready:
            await self._ensure_stream()
        acks: list[asyncio.Future[PubAck]] = []
        last_of_aggregate: dict[str, asyncio.Future[PubAck]] = {}
        try:
            for envelope in envelopes:
                earlier = last_of_aggregate.get(envelope.aggregate_id)
                if earlier is not None:
                    await asyncio.wait_for(earlier, self.settings.publish_timeout)
                ack = await self._send(envelope)
                acks.append(ack)
                last_of_aggregate[envelope.aggregate_id] = ack
            await asyncio.wait_for(asyncio.gather(*acks), self.settings.publish_timeout)
        except NoStreamResponseError:
            self._stream_ready = False  # the broker lost its storage: recreate before the retry
            raise
        finally:
            for ack in acks:
                ack.cancel()  # no-op when done; frees the pending slot of an unanswered publish

    async def _send(self, envelope: Envelope) -> asyncio.Future[PubAck]:
        return await self._jetstream().publish_async(
            self.subject_of(envelope.type),
            envelope.to_bytes(),
            wait_stall=self.settings.publish_timeout,
            stream=self.settings.stream,
            headers={"Nats-Msg-Id": envelope.id},
        )

    # -- consuming -----------------------------------------------------------------------------

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)
        if self._nc is not None:
            self._spawn(subscription)

    def _spawn(self, subscription: Subscription) -> None:
        task = asyncio.create_task(self._consume_forever(subscription), name=f"nats:{subscription.consumer}")
        self._loops.append(task)

    async def _consume_forever(self, sub: Subscription) -> None:
        pull: PullSubscription | None = None
        failures = 0
        while True:
            try:
                if pull is None:
                    pull = await self._bind(sub)
                await self._consume_batch(sub, pull)
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

    async def _bind(self, sub: Subscription) -> PullSubscription:
        await self._ensure_stream()
        name = durable_name(sub.consumer)
        await self._ensure_consumer(self._consumer_config(name, sub))
        return await self._jetstream().pull_subscribe_bind(durable=name, stream=self.settings.stream)

    def _consumer_config(self, name: str, sub: Subscription) -> ConsumerConfig:
        client = self._nc
        version = client.connected_server_version if client is not None else None
        multi_filter = version is not None and (version.major, version.minor) >= (2, 10)
        subjects = filter_subjects(self.settings.subject_prefix, sub.event_types, multi_filter=multi_filter)
        return ConsumerConfig(
            durable_name=name,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.settings.ack_wait,
            max_deliver=-1,
            max_ack_pending=self.settings.fetch_batch,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
            filter_subjects=subjects if len(subjects) > 1 else None,
        )

    async def _ensure_consumer(self, config: ConsumerConfig) -> None:
        js, stream, name = self._jetstream(), self.settings.stream, str(config.durable_name)
        try:
            info = await js.consumer_info(stream, name)
        except NotFoundError:
            await js.add_consumer(stream, config)
            return
        if _filters(info.config) == _filters(config):
            return
        # A filter cannot be edited on every server version: recreate the consumer where the old
        # one had acked everything up to; anything after that may be redelivered, and the inbox
        # discards what was already applied.
        await js.delete_consumer(stream, name)
        start = info.ack_floor.stream_seq + 1 if info.ack_floor and info.ack_floor.stream_seq else 1
        await js.add_consumer(
            stream, config, deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start
        )
        log.info("event consumer filter changed", consumer=name, stream=stream)

    async def _consume_batch(self, sub: Subscription, pull: PullSubscription) -> None:
        messages = await self._fetch(pull)
        if not messages:
            await self._verify_consumer(sub.consumer, pull)
            return
        try:
            async with self._claimed(messages):
                await self._handle(sub, messages)
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
            first = await pull.fetch(1, timeout=self.settings.fetch_timeout)
        except TimeoutError:
            return []
        waiting = min(first[-1].metadata.num_pending or 0, self.settings.fetch_batch - 1)
        if waiting <= 0:
            return first
        try:
            return first + await pull.fetch(waiting, timeout=self.settings.fetch_timeout)
        except (TimeoutError, nats.errors.Error):
            return first  # handle what we hold; a broken connection shows on the next fetch

    async def _verify_consumer(self, consumer: str, pull: PullSubscription) -> None:
        """While idle, check now and then that the consumer exists: a deleted one only looks idle."""
        now = time.monotonic()
        if now - self._verified_at.get(consumer, 0.0) < self.settings.verify_every:
            return
        await pull.consumer_info()  # NotFoundError makes the loop recreate it
        self._verified_at[consumer] = now

    async def _handle(self, sub: Subscription, messages: Sequence[Msg]) -> None:
        """Deliver in stream order; a message that is not an envelope is dead-lettered in its place."""
        envelopes: list[Envelope] = []
        for message in messages:
            try:
                envelopes.append(Envelope.from_bytes(message.data))
            except ValueError as exc:
                await deliver(sub, envelopes)
                envelopes = []
                await self._dead_letter_malformed(sub, message, reason=str(exc))
        await deliver(sub, envelopes)

    async def _dead_letter_malformed(self, sub: Subscription, message: Msg, *, reason: str) -> None:
        event_type = message.subject.removeprefix(f"{self.settings.subject_prefix}.")
        if event_type not in sub.handlers:
            return
        headers = message.headers or {}
        placeholder = Envelope(
            id=headers.get("Nats-Msg-Id") or f"{self.settings.stream}:{message.metadata.sequence.stream}",
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
        keeper = asyncio.create_task(_keep_in_progress(messages, every=self.settings.ack_wait / 3))
        try:
            yield
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper

    # -- connection callbacks (logging only) ---------------------------------------------------

    async def _on_error(self, error: Exception) -> None:
        log.debug("NATS connection error", error=type(error).__name__, url=self.url)

    async def _on_disconnected(self) -> None:
        if not self._stopping:
            log.warning("NATS disconnected", url=self.url)

    async def _on_reconnected(self) -> None:
        log.info("NATS reconnected", url=self.url)


def _filters(config: ConsumerConfig) -> set[str]:
    return set(config.filter_subjects or []) | ({config.filter_subject} if config.filter_subject else set())


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
