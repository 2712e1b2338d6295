"""The module's settings, read from the topology's ``[modules.notify]`` table.

Every key is optional; the defaults suit the embedded demo (mail to a Maildir, SMS and push to a
local spool file under the var directory), so ``make run`` needs no mail server or provider.

    [modules.notify]
    reminder_lead_hours = 24
    channels = { email = "smtp", sms = "twilio", push = "expo" }

    [modules.notify.delivery]
    poll_interval_seconds = 1.0     batch_size = 20           lease_seconds = 300
    max_attempts = 6                retry_base_seconds = 30   retry_max_seconds = 3600
    reminder_postpone_seconds = 300

    [modules.notify.smtp]      host, port, from, starttls, implicit_tls, username, password, timeout_seconds
    [modules.notify.twilio]    base_url, account_sid, auth_token, from | messaging_service_sid,
                               timeout_seconds
    [modules.notify.expo]      base_url, access_token, timeout_seconds
    [modules.notify.maildir]   path, from
    [modules.notify.spool]     directory

Any secret (``password``, ``auth_token``, ``access_token``) may instead be given as
``<name>_env = "ENV_VAR"`` so it never sits in the topology file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from caremesh.modules.notify.domain.preferences import CHANNELS, EMAIL, PUSH, SMS
from caremesh.modules.notify.domain.retry import BackoffPolicy

ADAPTERS = {EMAIL: ("maildir", "smtp"), SMS: ("spool", "twilio"), PUSH: ("spool", "expo")}
DEFAULT_ADAPTERS = {channel: names[0] for channel, names in ADAPTERS.items()}


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class DeliverySettings:
    poll_interval: float = 1.0
    batch_size: int = 20
    lease: timedelta = timedelta(minutes=5)
    policy: BackoffPolicy = field(default_factory=BackoffPolicy)
    reminder_lead: timedelta = timedelta(hours=24)
    reminder_postpone: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class NotifySettings:
    delivery: DeliverySettings
    adapters: dict[str, str]
    providers: Mapping[str, Mapping[str, Any]]  # the provider tables, e.g. providers["smtp"]["host"]

    def provider(self, name: str) -> Mapping[str, Any]:
        return self.providers.get(name, {})


def secret(table: Mapping[str, Any], name: str) -> str | None:
    if table.get(name) is not None:
        return str(table[name])
    variable = table.get(f"{name}_env")
    return os.environ.get(str(variable)) if variable else None


def _seconds(table: Mapping[str, Any], key: str, default: timedelta) -> timedelta:
    value = float(table.get(key, default.total_seconds()))
    if value <= 0:
        raise SettingsError(f"notify: {key} must be positive")
    return timedelta(seconds=value)


def _delivery(config: Mapping[str, Any]) -> DeliverySettings:
    table = config.get("delivery", {})
    defaults, policy = DeliverySettings(), BackoffPolicy()
    return DeliverySettings(
        poll_interval=_seconds(
            table, "poll_interval_seconds", timedelta(seconds=defaults.poll_interval)
        ).total_seconds(),
        batch_size=max(1, int(table.get("batch_size", defaults.batch_size))),
        lease=_seconds(table, "lease_seconds", defaults.lease),
        policy=BackoffPolicy(
            max_attempts=int(table.get("max_attempts", policy.max_attempts)),
            base_delay=_seconds(table, "retry_base_seconds", policy.base_delay),
            max_delay=_seconds(table, "retry_max_seconds", policy.max_delay),
        ),
        reminder_lead=timedelta(hours=float(config.get("reminder_lead_hours", 24))),
        reminder_postpone=_seconds(table, "reminder_postpone_seconds", defaults.reminder_postpone),
    )


def _adapters(config: Mapping[str, Any]) -> dict[str, str]:
    chosen = {**DEFAULT_ADAPTERS, **dict(config.get("channels", {}))}
    unknown = sorted(set(chosen) - set(CHANNELS))
    if unknown:
        raise SettingsError(f"notify: unknown channel(s) {', '.join(unknown)}")
    for channel, name in chosen.items():
        if name not in ADAPTERS[channel]:
            raise SettingsError(
                f"notify: channel {channel} has no adapter {name!r}; use one of {ADAPTERS[channel]}"
            )
    return chosen


def load_settings(config: Mapping[str, Any]) -> NotifySettings:
    try:
        delivery = _delivery(config)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"notify: invalid delivery settings: {exc}") from exc
    providers = {name: dict(config.get(name, {})) for name in ("smtp", "twilio", "expo", "maildir", "spool")}
    return NotifySettings(delivery=delivery, adapters=_adapters(config), providers=providers)
