"""Settings from the topology: safe embedded defaults, explicit failures for broken configuration."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caremesh.modules.notify.adapters.maildir_email import MaildirEmailSender
from caremesh.modules.notify.adapters.senders import build_senders
from caremesh.modules.notify.adapters.settings import SettingsError, load_settings
from caremesh.modules.notify.adapters.spool import SpoolSender
from caremesh.modules.notify.adapters.twilio_sms import TwilioSettings


def test_the_embedded_defaults_send_nothing_off_the_machine() -> None:
    settings = load_settings({})
    senders = build_senders(settings)
    assert isinstance(senders["email"], MaildirEmailSender)
    assert isinstance(senders["sms"], SpoolSender)
    assert isinstance(senders["push"], SpoolSender)
    assert settings.delivery.reminder_lead == timedelta(hours=24)


def test_delivery_settings_are_read_from_the_topology() -> None:
    settings = load_settings(
        {"reminder_lead_hours": 48, "delivery": {"max_attempts": 3, "retry_base_seconds": 2, "batch_size": 5}}
    )
    assert settings.delivery.reminder_lead == timedelta(hours=48)
    assert settings.delivery.policy.max_attempts == 3
    assert settings.delivery.policy.base_delay == timedelta(seconds=2)
    assert settings.delivery.batch_size == 5


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"channels": {"email": "carrier-pigeon"}}, "has no adapter 'carrier-pigeon'"),
        ({"channels": {"fax": "smtp"}}, "unknown channel"),
        ({"delivery": {"lease_seconds": -1}}, "lease_seconds must be positive"),
        ({"delivery": {"max_attempts": "many"}}, "invalid delivery settings"),
    ],
)
def test_broken_settings_fail_at_startup(config: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(config)


def test_a_chosen_provider_must_be_configured() -> None:
    with pytest.raises(SettingsError, match="needs host and from"):
        build_senders(load_settings({"channels": {"email": "smtp"}}))


def test_secrets_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_TWILIO_TOKEN", "token-from-env")
    settings = TwilioSettings.from_table(
        {"account_sid": "ACtest", "auth_token_env": "TEST_TWILIO_TOKEN", "from": "+15005550006"}
    )
    assert settings.auth_token == "token-from-env"
