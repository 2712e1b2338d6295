"""Building each channel's provider adapter from the settings (the topology decides which)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from caremesh.kernel.security.tokens import var_dir
from caremesh.modules.notify.adapters.expo_push import ExpoPushSender, ExpoSettings
from caremesh.modules.notify.adapters.maildir_email import MaildirEmailSender
from caremesh.modules.notify.adapters.settings import NotifySettings
from caremesh.modules.notify.adapters.smtp_email import SmtpEmailSender, SmtpSettings
from caremesh.modules.notify.adapters.spool import SpoolSender
from caremesh.modules.notify.adapters.twilio_sms import TwilioSettings, TwilioSmsSender
from caremesh.modules.notify.application.ports import Sender
from caremesh.modules.notify.domain.preferences import EMAIL, PUSH, SMS

DEMO_SENDER = "CareMesh <no-reply@caremesh.example.org>"


def _maildir(settings: NotifySettings) -> Sender:
    table = settings.provider("maildir")
    path = Path(table.get("path") or var_dir() / "notify" / "maildir")
    return MaildirEmailSender(path, sender=str(table.get("from", DEMO_SENDER)))


def _spool(channel: str) -> Callable[[NotifySettings], Sender]:
    def build(settings: NotifySettings) -> Sender:
        directory = Path(settings.provider("spool").get("directory") or var_dir() / "notify" / "spool")
        return SpoolSender(channel, directory)

    return build


_BUILDERS: dict[tuple[str, str], Callable[[NotifySettings], Sender]] = {
    (EMAIL, "maildir"): _maildir,
    (EMAIL, "smtp"): lambda s: SmtpEmailSender(SmtpSettings.from_table(s.provider("smtp"))),
    (SMS, "spool"): _spool(SMS),
    (SMS, "twilio"): lambda s: TwilioSmsSender(TwilioSettings.from_table(s.provider("twilio"))),
    (PUSH, "spool"): _spool(PUSH),
    (PUSH, "expo"): lambda s: ExpoPushSender(ExpoSettings.from_table(s.provider("expo"))),
}


def build_senders(settings: NotifySettings) -> dict[str, Sender]:
    return {channel: _BUILDERS[(channel, name)](settings) for channel, name in settings.adapters.items()}


async def close_senders(senders: dict[str, Sender]) -> None:
    for sender in senders.values():
        await sender.aclose()
