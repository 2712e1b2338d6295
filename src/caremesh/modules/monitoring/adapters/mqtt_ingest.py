"""MQTT ingestion: devices publish caremesh JSON v1 batches to ``caremesh/devices/{device}/readings``.

At least once, end to end: the worker keeps a persistent session (fixed client id, clean session
off) and switches paho to manual acknowledgement, so the PUBACK of a QoS 1 message is sent only
after its batch committed. A crash before that leaves the message unacknowledged and the broker
redelivers it on reconnect; the redelivery is then reported as duplicates, never stored twice.
Messages already queued when one arrives are stored with it in one transaction (each answered on
its own), and all of them are acknowledged after that commit.

Authentication is per message: the topic names the device and the payload carries its token
(``"token"``), checked against the registry like ``Authorization: Device`` over HTTPS. The outcome
of every message goes back on ``caremesh/devices/{device}/acks``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import orjson
import structlog

from caremesh.kernel.errors import CaremeshError
from caremesh.modules.monitoring.application.ingest import Ingestion
from caremesh.modules.monitoring.application.registry import Registry
from caremesh.modules.monitoring.domain.devices import Device

log = structlog.get_logger(__name__)
TOPIC = "caremesh/devices/+/readings"
CLIENT_ID = "caremesh-monitoring-ingest"
RECONNECT_SECONDS = 2.0
# Messages stored per transaction at most (the broker also bounds how many are in flight unacked).
MAX_MESSAGES_PER_TRANSACTION = 64


def _device_of(topic: str) -> str | None:
    parts = topic.split("/")
    return parts[2] if len(parts) == 4 and parts[3] == "readings" else None


def _refusal(exc: CaremeshError) -> dict[str, Any]:
    return {"status": exc.status, "detail": exc.message, **exc.details}


async def _authenticated(
    topic: str, payload: bytes, registry: Registry
) -> tuple[str | None, tuple[Any, Device] | dict[str, Any]]:
    """(the topic's device, the document and its device to ingest, or the refusal to send back)."""
    named = _device_of(topic)
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return named, {"status": 400, "detail": "the payload is not JSON"}
    token = document.pop("token", None) if isinstance(document, dict) else None
    if not isinstance(token, str):
        return named, {"status": 401, "detail": "the payload carries no device token"}
    try:
        device = await registry.authenticate(token)
    except CaremeshError as exc:
        return named, _refusal(exc)
    if named not in (device.id, device.serial):
        return named, {"status": 403, "detail": "the topic names another device than the token"}
    return named, (document, device)


async def handle_messages(
    messages: Sequence[tuple[str, bytes]], ingestion: Ingestion, registry: Registry
) -> list[tuple[str | None, dict[str, Any]]]:
    """Store the batches of several messages in ONE transaction; per message (device, ack document).

    Raises when the transaction fails (database down): nothing is acknowledged then, and the
    broker redelivers every message of the group.
    """
    # Concurrent lookups: a group's round trips to the registry overlap instead of adding up.
    checked = await asyncio.gather(*(_authenticated(topic, payload, registry) for topic, payload in messages))
    to_store = [item for _, item in checked if isinstance(item, tuple)]
    answers = iter(await ingestion.ingest_many(to_store, "caremesh-v1"))
    acks: list[tuple[str | None, dict[str, Any]]] = []
    for named, item in checked:
        if not isinstance(item, tuple):
            acks.append((named, item))
            continue
        answer = next(answers)
        if isinstance(answer, CaremeshError):
            acks.append((named, _refusal(answer)))
        else:
            acks.append((named, {"status": answer.status, **answer.as_json()}))
    return acks


async def handle_message(
    topic: str, payload: bytes, ingestion: Ingestion, registry: Registry
) -> tuple[str | None, dict[str, Any]]:
    """Store one message's batch; return (device, outcome document to publish as the ack)."""
    return (await handle_messages([(topic, payload)], ingestion, registry))[0]


def _client(url: str, client_id: str) -> aiomqtt.Client:
    parts = urlsplit(url)
    client = aiomqtt.Client(
        parts.hostname or "127.0.0.1",
        parts.port or 1883,
        username=parts.username,
        password=parts.password,
        identifier=client_id,
        clean_session=False,
    )
    # aiomqtt acknowledges on receipt; paho underneath can leave the PUBACK to the application,
    # which is what "acknowledged only after it is stored" needs.
    client._client.manual_ack_set(True)
    return client


async def _group(messages: aiomqtt.client.MessagesIterator) -> list[aiomqtt.Message]:
    """The next message, plus those already queued behind it (no waiting: an idle device is not
    delayed, while under load every transaction carries many messages)."""
    group = [await anext(messages)]
    while len(group) < MAX_MESSAGES_PER_TRANSACTION and len(messages) > 0:
        group.append(await anext(messages))
    return group


def _payload(message: aiomqtt.Message) -> bytes:
    return message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()


async def consume(url: str, ingestion: Ingestion, registry: Registry, client_id: str = CLIENT_ID) -> None:
    async with _client(url, client_id) as client:
        await client.subscribe(TOPIC, qos=1)
        while True:
            group = await _group(client.messages)
            acks = await handle_messages(
                [(m.topic.value, _payload(m)) for m in group], ingestion, registry
            )
            await asyncio.gather(
                *(
                    client.publish(f"caremesh/devices/{device}/acks", orjson.dumps(ack), qos=1)
                    for device, ack in acks
                    if device is not None
                )
            )
            for message in group:  # PUBACK only now: everything of the group is committed
                if message.qos > 0:
                    client._client.ack(message.mid, message.qos)


def mqtt_worker(
    url: str, ingestion: Ingestion, registry: Registry, client_id: str = CLIENT_ID
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        while True:
            try:
                await consume(url, ingestion, registry, client_id)
            except aiomqtt.MqttError as exc:
                log.warning("mqtt connection lost", task="monitoring-mqtt", error=type(exc).__name__)
            except Exception as exc:  # storage down: leave messages unacknowledged, reconnect later
                log.warning("mqtt ingestion failed", task="monitoring-mqtt", error=type(exc).__name__)
            await asyncio.sleep(RECONNECT_SECONDS)

    return run
