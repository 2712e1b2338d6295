"""Email over SMTP (aiosmtplib): STARTTLS or implicit TLS, optional authentication.

Classification: a 5xx reply about this message or recipient is permanent; 4xx replies,
connection failures and timeouts are transient. An authentication failure is treated as
transient: it is a configuration problem on our side, not a problem with the message, so the
message should go out once an operator fixes the credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiosmtplib

from caremesh.modules.notify.adapters.email_message import build_email
from caremesh.modules.notify.adapters.settings import SettingsError, secret
from caremesh.modules.notify.domain.delivery import (
    OutgoingMessage,
    PermanentDeliveryError,
    Receipt,
    TransientDeliveryError,
)
from caremesh.modules.notify.domain.preferences import EMAIL


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    starttls: bool = True
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> SmtpSettings:
        if not table.get("host") or not table.get("from"):
            raise SettingsError("notify: [modules.notify.smtp] needs host and from")
        return cls(
            host=str(table["host"]),
            sender=str(table["from"]),
            port=int(table.get("port", 587)),
            starttls=bool(table.get("starttls", True)),
            implicit_tls=bool(table.get("implicit_tls", False)),
            username=table.get("username"),
            password=secret(table, "password"),
            timeout=float(table.get("timeout_seconds", 10.0)),
        )


def _refused(exc: aiosmtplib.SMTPRecipientsRefused) -> Exception:
    codes = [refusal.code for refusal in exc.recipients]
    detail = "recipient refused: " + ", ".join(str(code) for code in codes)
    if any(code >= 500 for code in codes):
        return PermanentDeliveryError("recipient-refused", detail)
    return TransientDeliveryError("recipient-deferred", detail)


class SmtpEmailSender:
    channel = EMAIL
    provider = "smtp"

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings

    async def send(self, message: OutgoingMessage) -> Receipt:
        s = self._settings
        email = build_email(message, sender=s.sender)
        try:
            await aiosmtplib.send(
                email, hostname=s.host, port=s.port, start_tls=s.starttls and not s.implicit_tls,
                use_tls=s.implicit_tls, username=s.username, password=s.password, timeout=s.timeout,
            )  # fmt: skip
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc) from exc
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPAuthenticationError) as exc:
            raise TransientDeliveryError("smtp-unavailable", f"{type(exc).__name__}: {exc}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            error = PermanentDeliveryError if exc.code >= 500 else TransientDeliveryError
            raise error("smtp-rejected", f"SMTP {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientDeliveryError("smtp-unavailable", f"{type(exc).__name__}: {exc}") from exc
        return Receipt(provider_message_id=str(email["Message-ID"]))

    async def aclose(self) -> None:
        return None
