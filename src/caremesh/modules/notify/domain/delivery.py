"""What a channel adapter receives and how it reports failure.

Adapters classify every failure: transient (the provider or network may accept the same message
later) or permanent (this message will never be accepted: an invalid address, a 4xx rejection).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: str
    channel: str
    to: str
    subject: str | None  # email subject or push title; None for SMS
    body: str


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str | None = None


class DeliveryError(Exception):
    """``code`` is a short machine-readable reason; ``detail`` may quote the provider's answer."""

    permanent: ClassVar[bool] = False

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class TransientDeliveryError(DeliveryError):
    permanent = False


class PermanentDeliveryError(DeliveryError):
    permanent = True


def classify_http_status(status: int) -> type[DeliveryError] | None:
    """Provider HTTP answers: 2xx is success (None); 4xx means this message is refused, except
    credentials (401), timeouts (408) and rate limits (429), which are about us, not the message."""
    if 200 <= status < 300:
        return None
    if 400 <= status < 500 and status not in (401, 408, 429):
        return PermanentDeliveryError
    return TransientDeliveryError
