"""Writing events in the same transaction as the state change that caused them."""

from __future__ import annotations

from collections.abc import Callable

from caremesh.contracts.base import Event
from caremesh.kernel.clock import utcnow
from caremesh.kernel.db.base import Connection
from caremesh.kernel.events.envelope import Envelope


def _no_headers() -> dict[str, str]:
    return {}


class Outbox:
    """A module's outbox. ``add`` must be called with the connection of the open transaction."""

    def __init__(
        self,
        source: str,
        *,
        context_headers: Callable[[], dict[str, str]] = _no_headers,
        wake_relay: Callable[[], None] | None = None,
    ) -> None:
        self.source = source
        self._context_headers = context_headers
        self._wake_relay = wake_relay

    async def add(self, conn: Connection, *events: Event) -> list[Envelope]:
        envelopes = [
            Envelope.wrap(event, source=self.source, headers=self._context_headers()) for event in events
        ]
        await conn.executemany(
            "INSERT INTO outbox (event_id, event_type, aggregate_id, body, created_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            [(e.id, e.type, e.aggregate_id, e.to_bytes().decode(), utcnow()) for e in envelopes],
        )
        if self._wake_relay is not None:
            conn.on_commit(self._wake_relay)
        return envelopes
