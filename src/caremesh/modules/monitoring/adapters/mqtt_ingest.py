"""MQTT ingestion: devices publish caremesh JSON v1 batches to ``caremesh/devices/{device}/readings``.

At least once, end to end: the worker keeps a persistent session (fixed client id, clean session
off) and switches paho to manual acknowledgement, so the PUBACK of a QoS 1 message is sent only
after its batch committed. A crash before that leaves the message unacknowledged and the broker
redelivers it on reconnect; the redelivery is then reported as duplicates, never stored twice.

Authentication is per message: the topic names the device and the payload carries its token
(``"token"``), checked against the registry like ``Authorization: Device`` over HTTPS. The outcome
of every message goes back on ``caremesh/devices/{device}/acks``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiomqtt
import orjson
import structlog

from caremesh.kernel.errors import CaremeshError
from caremesh.modules.monitoring.application.ingest import Ingestion, PayloadRejected
from caremesh.modules.monitoring.application.registry import Registry

log = structlog.get_logger(__name__)
TOPIC = "caremesh/devices/+/readings"
CLIENT_ID = "caremesh-monitoring-ingest"
RECONNECT_SECONDS = 2.0


def _device_of(topic: str) -> str | None:
    parts = topic.split("/")
    return parts[2] if len(parts) == 4 and parts[3] == "readings" else None


async def handle_message(
    topic: str, payload: bytes, ingestion: Ingestion, registry: Registry
) -> tuple[str | None, dict[str, Any]]:
    """Store one message's batch; return (device, outcome document to publish as the ack)."""
    named = _device_of(topic)
    try:
        document = orjson.loads(payload)
        token = document.pop("token", None) if isinstance(document, dict) else None
        if not isinstance(token, str):
            return named, {"status": 401, "detail": "the payload carries no device token"}
        device = await registry.authenticate(token)
        if named not in (device.id, device.serial):
            return named, {"status": 403, "detail": "the topic names another device than the token"}
        result = await ingestion.ingest(document, "caremesh-v1", device)
    except orjson.JSONDecodeError:
        return named, {"status": 400, "detail": "the payload is not JSON"}
    except PayloadRejected as exc:
        return named, {"status": 400, "detail": exc.message, "rejected_id": exc.rejected_id}
    except CaremeshError as exc:
        return named, {"status": exc.status, "detail": exc.message, **exc.details}
    return named, {"status": result.status, **result.as_json()}


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


async def consume(url: str, ingestion: Ingestion, registry: Registry, client_id: str = CLIENT_ID) -> None:
    async with _client(url, client_id) as client:
        await client.subscribe(TOPIC, qos=1)
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
            device, ack = await handle_message(message.topic.value, payload, ingestion, registry)
            if device is not None:
                await client.publish(f"caremesh/devices/{device}/acks", orjson.dumps(ack), qos=1)
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
