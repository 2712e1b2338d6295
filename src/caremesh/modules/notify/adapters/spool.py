"""SMS and push into a local JSON Lines file: the embedded demo's stand-in for real providers.

It keeps ``make run`` from contacting anything outside the machine while still showing what
would have been sent (one line per message under the var directory).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from caremesh.kernel.clock import utcnow
from caremesh.modules.notify.domain.delivery import OutgoingMessage, Receipt, TransientDeliveryError


class SpoolSender:
    provider = "spool"

    def __init__(self, channel: str, directory: Path) -> None:
        self.channel = channel
        self.path = directory / f"{channel}.jsonl"

    async def send(self, message: OutgoingMessage) -> Receipt:
        line = orjson.dumps(
            {
                "notification_id": message.notification_id,
                "channel": message.channel,
                "to": message.to,
                "subject": message.subject,
                "body": message.body,
                "spooled_at": utcnow().isoformat(),
            }
        )
        try:
            await asyncio.to_thread(self._append, line)
        except OSError as exc:
            raise TransientDeliveryError("spool-unavailable", type(exc).__name__) from exc
        return Receipt(provider_message_id=message.notification_id)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            handle.write(line + b"\n")

    async def aclose(self) -> None:
        return None
