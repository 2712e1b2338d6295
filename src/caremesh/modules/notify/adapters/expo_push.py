"""Push notifications through the Expo Push API (Expo's gateway in front of FCM and APNs).

``POST {base_url}/--/api/v2/push/send`` with JSON ``{"to", "title", "body", "data"}`` and, when
push security is enabled, ``Authorization: Bearer <access token>``. The answer holds a push
ticket: ``{"data": {"status": "ok", "id": ...}}`` or ``{"data": {"status": "error",
"details": {"error": "DeviceNotRegistered"}}}``. "Delivered" here means the ticket was accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from caremesh.modules.notify.adapters.http_client import LazyHttpClient
from caremesh.modules.notify.adapters.settings import secret
from caremesh.modules.notify.domain.delivery import (
    OutgoingMessage,
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
    classify_http_status,
)
from caremesh.modules.notify.domain.preferences import PUSH

_TOKEN = re.compile(r"^Expo(nent)?PushToken\[[^\]]+\]$")
# Ticket errors about our side (rate, credentials) are worth retrying; the rest are about the message.
_TRANSIENT_TICKET_ERRORS = {"MessageRateExceeded", "InvalidCredentials"}


@dataclass(frozen=True)
class ExpoSettings:
    base_url: str = "https://exp.host"
    access_token: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> ExpoSettings:
        return cls(
            base_url=str(table.get("base_url", "https://exp.host")).rstrip("/"),
            access_token=secret(table, "access_token"),
            timeout=float(table.get("timeout_seconds", 10.0)),
        )


def _ticket_receipt(body: Any) -> Receipt:
    ticket = body.get("data") if isinstance(body, dict) else None
    if isinstance(ticket, list):
        ticket = ticket[0] if ticket else None
    if not isinstance(ticket, dict):
        raise TransientDeliveryError("provider-error", "the push ticket is missing from the answer")
    if ticket.get("status") == "ok":
        return Receipt(provider_message_id=ticket.get("id"))
    error = str((ticket.get("details") or {}).get("error", "unknown"))
    if error in _TRANSIENT_TICKET_ERRORS:
        raise TransientDeliveryError("provider-unavailable", f"Expo ticket error {error}")
    code = "invalid-address" if error == "DeviceNotRegistered" else "provider-rejected"
    raise PermanentDeliveryError(code, f"Expo ticket error {error}")


class ExpoPushSender:
    channel = PUSH
    provider = "expo"

    def __init__(self, settings: ExpoSettings) -> None:
        self._settings = settings
        self._http = LazyHttpClient(timeout=settings.timeout)

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._settings.access_token:
            headers["Authorization"] = f"Bearer {self._settings.access_token}"
        return headers

    async def send(self, message: OutgoingMessage) -> Receipt:
        if not _TOKEN.match(message.to):
            raise PermanentDeliveryError("invalid-address", "not an Expo push token")
        payload = {
            "to": message.to,
            "title": message.subject,
            "body": message.body,
            "sound": "default",
            "data": {"notification_id": message.notification_id},
        }
        url = f"{self._settings.base_url}/--/api/v2/push/send"
        try:
            response = await self._http.get().post(url, json=payload, headers=self._headers())
        except httpx.HTTPError as exc:
            raise TransientDeliveryError("provider-unavailable", type(exc).__name__) from exc
        error_class = classify_http_status(response.status_code)
        if error_class is not None:
            code = "provider-rejected" if error_class.permanent else "provider-unavailable"
            raise error_class(code, f"HTTP {response.status_code}: {response.text[:300]}")
        try:
            return _ticket_receipt(response.json())
        except ValueError as exc:
            raise TransientDeliveryError("provider-error", "the answer is not JSON") from exc

    async def aclose(self) -> None:
        await self._http.aclose()
