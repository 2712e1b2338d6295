"""Building the RFC 5322 message shared by the SMTP and Maildir email adapters."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from caremesh.modules.notify.domain.delivery import OutgoingMessage, PermanentDeliveryError


def build_email(message: OutgoingMessage, *, sender: str) -> EmailMessage:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "caremesh.invalid"
    email = EmailMessage()
    try:
        email["From"] = sender
        email["To"] = message.to
        email["Subject"] = message.subject or ""
    except ValueError as exc:  # header injection or an unparsable address
        raise PermanentDeliveryError(
            "invalid-address", "the address cannot be used in an email header"
        ) from exc
    email["Date"] = formatdate(usegmt=True)
    # A stable Message-ID: if a crash makes the worker send again, mail clients see one message.
    email["Message-ID"] = f"<{message.notification_id}@{domain}>"
    email["X-Caremesh-Notification-Id"] = message.notification_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    email.set_content(message.body)
    return email
