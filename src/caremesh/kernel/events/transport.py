"""How envelopes travel from a relay to the subscriptions: the port and the in-process adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from caremesh.kernel.events.consumer import Subscription, deliver
from caremesh.kernel.events.envelope import Envelope


class Transport(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Return only once every envelope is durable downstream (delivered, or acked by the broker)."""
        ...

    def subscribe(self, subscription: Subscription) -> None: ...

    async def ping(self) -> None: ...


class InProcessTransport:
    """The embedded bus: publishing runs the subscribed consumers before returning.

    The relay marks an outbox row published only after this returns, so a crash in between
    redelivers the event and the consumer's inbox discards the duplicate.
    """

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)

    async def publish(self, envelopes: Sequence[Envelope]) -> None:
        for subscription in self._subscriptions:
            await deliver(subscription, envelopes)

    async def ping(self) -> None:
        return None
