"""A patient's contact points and choices, and the rules deciding which channels may carry a message.

The same rules run twice: when a notification is queued (so an opted-out patient's record shows
"skipped" at once) and again right before sending, because preferences may change in between
(a reminder is queued a day or more before it is due).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EMAIL = "email"
SMS = "sms"
PUSH = "push"
CHANNELS = (EMAIL, SMS, PUSH)

APPOINTMENT_UPDATES = "appointment-updates"
APPOINTMENT_REMINDERS = "appointment-reminders"
CATEGORIES = (APPOINTMENT_UPDATES, APPOINTMENT_REMINDERS)

# Deliberately simple: the mail server is the final judge; this catches typos and injection.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_MAX_TOKEN = 4096


@dataclass(frozen=True)
class Preferences:
    patient_id: str
    timezone: str
    channels: frozenset[str]
    opted_out: frozenset[str] = field(default_factory=frozenset)
    email: str | None = None
    phone: str | None = None
    push_token: str | None = None
    preferred_name: str | None = None

    def address(self, channel: str) -> str | None:
        return {EMAIL: self.email, SMS: self.phone, PUSH: self.push_token}.get(channel)


class InvalidPreferences(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def is_known_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def preference_problems(prefs: Preferences) -> list[str]:
    problems: list[str] = []
    if prefs.email is not None and not _EMAIL.match(prefs.email):
        problems.append("email: not a valid email address")
    if prefs.phone is not None and not _E164.match(prefs.phone):
        problems.append("phone: must be in E.164 form, e.g. +12025550101")
    if prefs.push_token is not None and not 0 < len(prefs.push_token) <= _MAX_TOKEN:
        problems.append(f"push_token: must be 1-{_MAX_TOKEN} characters")
    if not is_known_timezone(prefs.timezone):
        problems.append(f"timezone: unknown IANA time zone {prefs.timezone!r}")
    problems += [f"channels: unknown channel {c!r}" for c in sorted(prefs.channels - set(CHANNELS))]
    problems += [
        f"channels: {c} is enabled but has no contact point"
        for c in CHANNELS
        if c in prefs.channels and not prefs.address(c)
    ]
    problems += [
        f"opted_out_categories: unknown category {c!r}" for c in sorted(prefs.opted_out - set(CATEGORIES))
    ]
    return problems


def check_preferences(prefs: Preferences) -> Preferences:
    problems = preference_problems(prefs)
    if problems:
        raise InvalidPreferences(problems)
    return prefs


def skip_reason(prefs: Preferences | None, channel: str, category: str) -> str | None:
    """Why a message of ``category`` must not go out on ``channel`` now; None when it may."""
    if prefs is None:
        return "no-preferences"
    if category in prefs.opted_out:
        return f"opted-out:{category}"
    if channel not in prefs.channels:
        return "channel-disabled"
    if not prefs.address(channel):
        return "no-contact-point"
    return None


@dataclass(frozen=True)
class ChannelDecision:
    channel: str | None  # None: there is no channel at all to record the message against
    skip_reason: str | None  # None: send

    @property
    def sendable(self) -> bool:
        return self.skip_reason is None


def plan_channels(
    prefs: Preferences | None, category: str, requested: Iterable[str] | None = None
) -> list[ChannelDecision]:
    """One decision per channel the message would use: the patient's enabled ones, or those requested."""
    if prefs is None:
        return [ChannelDecision(None, "no-preferences")]
    wanted = set(prefs.channels if requested is None else requested)
    channels = [c for c in CHANNELS if c in wanted]
    if not channels:
        return [ChannelDecision(None, "no-enabled-channel")]
    return [ChannelDecision(c, skip_reason(prefs, c, category)) for c in channels]
