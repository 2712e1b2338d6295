"""Email into a local Maildir (Python's ``mailbox``): the embedded demo's mail "server".

Any mail client or ``python -m mailbox``-style script can read the messages under the var
directory, so ``make run`` shows real emails without an SMTP server.
"""

from __future__ import annotations

import asyncio
import mailbox
from email.message import EmailMessage
from pathlib import Path

from caremesh.modules.notify.adapters.email_message import build_email
from caremesh.modules.notify.domain.delivery import OutgoingMessage, Receipt, TransientDeliveryError
from caremesh.modules.notify.domain.preferences import EMAIL


class MaildirEmailSender:
    channel = EMAIL
    provider = "maildir"

    def __init__(self, path: Path, *, sender: str) -> None:
        self.path = path
        self._sender = sender

    async def send(self, message: OutgoingMessage) -> Receipt:
        email = build_email(message, sender=self._sender)
        try:
            key = await asyncio.to_thread(self._store, email)
        except OSError as exc:
            raise TransientDeliveryError("maildir-unavailable", type(exc).__name__) from exc
        return Receipt(provider_message_id=key)

    def _store(self, email: EmailMessage) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return mailbox.Maildir(self.path, create=True).add(email)

    async def aclose(self) -> None:
        return None
