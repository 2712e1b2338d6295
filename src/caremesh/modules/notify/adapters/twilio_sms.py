"""SMS through Twilio's Programmable Messaging REST API (any provider speaking the same shape).

``POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded ``To``,
``From`` (or ``MessagingServiceSid``) and ``Body``, HTTP basic auth with the account SID and auth
token; ``201`` answers with the message ``sid``. The base URL is configurable so tests and
regional edges (e.g. ``https://api.dublin.ie1.twilio.com``) can be used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from caremesh.modules.notify.adapters.http_client import LazyHttpClient
from caremesh.modules.notify.adapters.settings import SettingsError, secret
from caremesh.modules.notify.domain.delivery import (
    OutgoingMessage,
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
    classify_http_status,
)
from caremesh.modules.notify.domain.preferences import SMS

# Twilio error codes that mean the number itself cannot receive this message.
_BAD_NUMBER = {21211, 21612, 21614, 21408}


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str
    auth_token: str
    sender: str | None = None
    messaging_service_sid: str | None = None
    base_url: str = "https://api.twilio.com"
    timeout: float = 10.0

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> TwilioSettings:
        token = secret(table, "auth_token")
        if not table.get("account_sid") or not token:
            raise SettingsError("notify: [modules.notify.twilio] needs account_sid and auth_token")
        if not table.get("from") and not table.get("messaging_service_sid"):
            raise SettingsError("notify: [modules.notify.twilio] needs from or messaging_service_sid")
        return cls(
            account_sid=str(table["account_sid"]),
            auth_token=token,
            sender=table.get("from"),
            messaging_service_sid=table.get("messaging_service_sid"),
            base_url=str(table.get("base_url", "https://api.twilio.com")).rstrip("/"),
            timeout=float(table.get("timeout_seconds", 10.0)),
        )


def _error_from(response: httpx.Response) -> Exception | None:
    error_class = classify_http_status(response.status_code)
    if error_class is None:
        return None
    try:
        body = response.json()
        code, text = body.get("code"), str(body.get("message", ""))[:300]
    except ValueError:
        code, text = None, ""
    detail = f"HTTP {response.status_code}, Twilio error {code}: {text}"
    if error_class is PermanentDeliveryError:
        return error_class("invalid-address" if code in _BAD_NUMBER else "provider-rejected", detail)
    return error_class("provider-unavailable", detail)


class TwilioSmsSender:
    channel = SMS
    provider = "twilio"

    def __init__(self, settings: TwilioSettings) -> None:
        self._settings = settings
        self._http = LazyHttpClient(timeout=settings.timeout)

    def _form(self, message: OutgoingMessage) -> dict[str, str]:
        form = {"To": message.to, "Body": message.body}
        if self._settings.messaging_service_sid:
            form["MessagingServiceSid"] = self._settings.messaging_service_sid
        else:
            form["From"] = str(self._settings.sender)
        return form

    async def send(self, message: OutgoingMessage) -> Receipt:
        s = self._settings
        url = f"{s.base_url}/2010-04-01/Accounts/{s.account_sid}/Messages.json"
        try:
            response = await self._http.get().post(
                url, data=self._form(message), auth=(s.account_sid, s.auth_token)
            )
        except httpx.HTTPError as exc:
            raise TransientDeliveryError("provider-unavailable", type(exc).__name__) from exc
        error = _error_from(response)
        if error is not None:
            raise error
        try:
            return Receipt(provider_message_id=str(response.json().get("sid")))
        except ValueError:
            return Receipt()

    async def aclose(self) -> None:
        await self._http.aclose()
