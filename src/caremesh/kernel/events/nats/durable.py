"""The durable JetStream consumer behind a subscription: its config, and creating or migrating it.

Redelivery is left to crashes (the kernel consumer already retries and dead-letters), hence an
unlimited ``max_deliver`` and ``ack_wait`` as the crash-detection delay; ``max_ack_pending`` equals
the fetch batch so replicas sharing the consumer take turns instead of overtaking each other.
"""

from __future__ import annotations

import structlog
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from caremesh.kernel.events.consumer import Subscription
from caremesh.kernel.events.nats.settings import NatsSettings, durable_name, filter_subjects

log = structlog.get_logger(__name__)

PullSubscription = JetStreamContext.PullSubscription


async def bind(
    js: JetStreamContext, sub: Subscription, settings: NatsSettings, *, multi_filter: bool
) -> PullSubscription:
    """Make sure the subscription's durable consumer exists with its filters, and pull from it."""
    name = durable_name(sub.consumer)
    config = consumer_config(name, sub, settings, multi_filter=multi_filter)
    await _ensure_consumer(js, settings.stream, config)
    return await js.pull_subscribe_bind(durable=name, stream=settings.stream)


def consumer_config(
    name: str, sub: Subscription, settings: NatsSettings, *, multi_filter: bool
) -> ConsumerConfig:
    subjects = filter_subjects(settings.subject_prefix, sub.event_types, multi_filter=multi_filter)
    return ConsumerConfig(
        durable_name=name,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        max_deliver=-1,
        max_ack_pending=settings.fetch_batch,
        filter_subject=subjects[0] if len(subjects) == 1 else None,
        filter_subjects=subjects if len(subjects) > 1 else None,
    )


async def _ensure_consumer(js: JetStreamContext, stream: str, config: ConsumerConfig) -> None:
    name = str(config.durable_name)
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
    await js.add_consumer(stream, config, deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start)
    log.info("event consumer filter changed", consumer=name, stream=stream)


def _filters(config: ConsumerConfig) -> set[str]:
    return set(config.filter_subjects or []) | ({config.filter_subject} if config.filter_subject else set())
