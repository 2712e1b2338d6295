"""Preference rules: what a valid preference set is, and which channels may carry a message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from caremesh.modules.notify.domain.delivery import (
    PermanentDeliveryError,
    TransientDeliveryError,
    classify_http_status,
)
from caremesh.modules.notify.domain.notification import is_expired, reminder_due, reminder_gate
from caremesh.modules.notify.domain.preferences import (
    APPOINTMENT_REMINDERS,
    APPOINTMENT_UPDATES,
    ChannelDecision,
    InvalidPreferences,
    Preferences,
    check_preferences,
    plan_channels,
    preference_problems,
    skip_reason,
)

PREFS = Preferences(
    patient_id="pat-t-0001",
    email="robin.test@example.org",
    phone="+12025550107",
    channels=frozenset({"email", "sms"}),
    timezone="Europe/Berlin",
)


def test_a_complete_preference_set_is_valid() -> None:
    assert check_preferences(PREFS) is PREFS


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"email": "not-an-address"}, "email: not a valid email address"),
        ({"email": "a@b.org\r\nBcc: x@y.org"}, "email: not a valid email address"),
        ({"phone": "202-555-0107"}, "phone: must be in E.164 form"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone: unknown IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone: unknown IANA time zone"),
        ({"channels": frozenset({"email", "fax"})}, "channels: unknown channel 'fax'"),
        ({"channels": frozenset({"push"})}, "channels: push is enabled but has no contact point"),
        ({"phone": None}, "channels: sms is enabled but has no contact point"),
        ({"opted_out": frozenset({"marketing"})}, "opted_out_categories: unknown category 'marketing'"),
    ],
)
def test_each_broken_rule_is_reported_precisely(change: dict[str, object], problem: str) -> None:
    problems = preference_problems(replace(PREFS, **change))  # type: ignore[arg-type]
    assert any(p.startswith(problem) for p in problems), problems


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(InvalidPreferences) as caught:
        check_preferences(replace(PREFS, email="x", timezone="Nowhere/Else"))
    assert len(caught.value.problems) == 2


def test_a_message_goes_to_each_enabled_channel_in_a_stable_order() -> None:
    assert plan_channels(PREFS, APPOINTMENT_UPDATES) == [
        ChannelDecision("email", None),
        ChannelDecision("sms", None),
    ]


def test_an_opted_out_category_is_skipped_on_every_channel_with_the_reason() -> None:
    prefs = replace(PREFS, opted_out=frozenset({APPOINTMENT_REMINDERS}))
    assert [d.skip_reason for d in plan_channels(prefs, APPOINTMENT_REMINDERS)] == [
        "opted-out:appointment-reminders",
        "opted-out:appointment-reminders",
    ]
    assert all(d.sendable for d in plan_channels(prefs, APPOINTMENT_UPDATES))


def test_without_preferences_or_channels_one_skipped_record_explains_why() -> None:
    assert plan_channels(None, APPOINTMENT_UPDATES) == [ChannelDecision(None, "no-preferences")]
    no_channels = replace(PREFS, channels=frozenset())
    assert plan_channels(no_channels, APPOINTMENT_UPDATES) == [ChannelDecision(None, "no-enabled-channel")]


def test_an_explicitly_requested_channel_still_respects_the_patient() -> None:
    decisions = plan_channels(PREFS, APPOINTMENT_UPDATES, requested=["push", "email"])
    assert decisions == [ChannelDecision("email", None), ChannelDecision("push", "channel-disabled")]


def test_preferences_changed_after_queueing_are_rechecked_before_sending() -> None:
    assert skip_reason(PREFS, "email", APPOINTMENT_UPDATES) is None
    assert skip_reason(replace(PREFS, email=None), "email", APPOINTMENT_UPDATES) == "no-contact-point"
    assert skip_reason(replace(PREFS, channels=frozenset({"sms"})), "email", APPOINTMENT_UPDATES) == (
        "channel-disabled"
    )
    assert skip_reason(None, "email", APPOINTMENT_UPDATES) == "no-preferences"


def test_a_reminder_is_due_a_lead_time_before_the_start_unless_that_has_passed() -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    lead = timedelta(hours=24)
    assert reminder_due(now + timedelta(days=3), lead, now) == now + timedelta(days=2)
    assert reminder_due(now + timedelta(hours=5), lead, now) is None


def test_an_appointment_notice_expires_when_the_appointment_starts() -> None:
    start = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert not is_expired(start, start - timedelta(seconds=1))
    assert is_expired(start, start)
    assert not is_expired(None, start)


def test_only_a_booked_appointment_gets_its_reminder() -> None:
    assert reminder_gate("booked") is None
    assert reminder_gate("cancelled") == "appointment-cancelled"
    assert reminder_gate(None) == "appointment-not-found"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (201, None),
        (400, PermanentDeliveryError),
        (404, PermanentDeliveryError),
        (401, TransientDeliveryError),
        (429, TransientDeliveryError),
        (500, TransientDeliveryError),
        (503, TransientDeliveryError),
    ],
)
def test_provider_answers_are_classified(status: int, expected: type | None) -> None:
    assert classify_http_status(status) is expected
