"""The wire form of an event: identity, type, version, ordering key, trace context and payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from caremesh.contracts.base import Event
from caremesh.kernel.clock import utcnow
from caremesh.kernel.ids import new_id


@dataclass(frozen=True)
class Envelope:
    id: str
    type: str
    version: int
    source: str
    aggregate_id: str
    occurred_at: datetime
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def wrap(cls, event: Event, *, source: str, headers: dict[str, str] | None = None) -> Envelope:
        return cls(
            id=new_id(),
            type=event.event_type,
            version=event.version,
            source=source,
            aggregate_id=event.aggregate_id(),
            occurred_at=utcnow(),
            payload=event.model_dump(mode="json"),
            headers=dict(headers or {}),
        )

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "version": self.version,
                "source": self.source,
                "aggregate_id": self.aggregate_id,
                "occurred_at": self.occurred_at.isoformat(),
                "payload": self.payload,
                "headers": self.headers,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes | str) -> Envelope:
        """Parse an envelope; raise ``ValueError`` with the reason if it is malformed."""
        try:
            data = orjson.loads(raw)
            return cls(
                id=str(data["id"]),
                type=str(data["type"]),
                version=int(data["version"]),
                source=str(data["source"]),
                aggregate_id=str(data["aggregate_id"]),
                occurred_at=datetime.fromisoformat(data["occurred_at"]),
                payload=dict(data["payload"]),
                headers={str(k): str(v) for k, v in dict(data.get("headers") or {}).items()},
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed event envelope: {exc}") from exc
