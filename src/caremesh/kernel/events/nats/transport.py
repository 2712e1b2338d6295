"""NatsTransport: the connection, the event stream, publishing, and a pull consumer per subscription.

Publishing is pipelined in batch order on one connection (the stream keeps that order), but an
envelope is sent only once the previous envelope of the same aggregate is acked, so whatever a
reconnect loses or resends, an event is never stored before its aggregate's earlier events.
``Nats-Msg-Id`` = envelope id lets the stream drop a republish within ``duplicate_window``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import nats
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck, StorageType, StreamConfig
from nats.js.errors import NoStreamResponseError, NotFoundError

from caremesh.kernel.events.consumer import Subscription
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.events.nats.consuming import PullConsumer
from caremesh.kernel.events.nats.durable import PullSubscription, bind
from caremesh.kernel.events.nats.settings import NatsSettings

log = structlog.get_logger(__name__)


class NatsTransport:
    def __init__(self, url: str, *, service: str, settings: NatsSettings | None = None) -> None:
        self.url = url
        self.service = service
        self.settings = settings or NatsSettings.from_env()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._stream_ready = False
        self._consumers: list[PullConsumer] = []
        self._loops: list[asyncio.Task[None]] = []
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
        for consumer in self._consumers:
            self._spawn(consumer)

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
                    async with asyncio.timeout(self.settings.publish_timeout):
                        await earlier
                ack = await self._send(envelope)
                acks.append(ack)
                last_of_aggregate[envelope.aggregate_id] = ack
            # asyncio.timeout rather than wait_for, which on 3.11 can swallow the relay's cancellation.
            async with asyncio.timeout(self.settings.publish_timeout):
                await asyncio.gather(*acks)
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
        consumer = PullConsumer(subscription, settings=self.settings, bind=self._bind)
        self._consumers.append(consumer)
        if self._nc is not None:
            self._spawn(consumer)

    def _spawn(self, consumer: PullConsumer) -> None:
        task = asyncio.create_task(consumer.run(), name=f"nats:{consumer.subscription.consumer}")
        self._loops.append(task)

    async def _bind(self, sub: Subscription) -> PullSubscription:
        await self._ensure_stream()
        multi_filter = self._server_takes_many_filters()
        return await bind(self._jetstream(), sub, self.settings, multi_filter=multi_filter)

    def _server_takes_many_filters(self) -> bool:
        client = self._nc
        version = client.connected_server_version if client is not None else None
        return version is not None and (version.major, version.minor) >= (2, 10)

    # -- connection callbacks (logging only) ---------------------------------------------------

    async def _on_error(self, error: Exception) -> None:
        log.debug("NATS connection error", error=type(error).__name__, url=self.url)

    async def _on_disconnected(self) -> None:
        if not self._stopping:
            log.warning("NATS disconnected", url=self.url)

    async def _on_reconnected(self) -> None:
        log.info("NATS reconnected", url=self.url)
