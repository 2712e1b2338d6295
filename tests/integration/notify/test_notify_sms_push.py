"""SMS (Twilio's Messages API) and push (Expo's push API) against a local fake provider server."""

from __future__ import annotations

import base64
from typing import Any
from zoneinfo import ZoneInfo

from notify_fakes import FakeProviders
from notify_harness import StartNotify, booked, fast_delivery

PUSH_TOKEN = "ExponentPushToken[test-device-0001]"


def provider_config(providers: FakeProviders, **delivery: Any) -> dict[str, Any]:
    return {
        "channels": {"sms": "twilio", "push": "expo"},
        "twilio": {"base_url": providers.base_url, "account_sid": "ACtest0001",
                   "auth_token": "twilio-test-token", "from": "+15005550006", "timeout_seconds": 2},
        "expo": {"base_url": providers.base_url, "access_token": "expo-test-token", "timeout_seconds": 2},
        "delivery": fast_delivery(**delivery),
    }  # fmt: skip


async def start(start_notify: StartNotify, providers: FakeProviders, **prefs: Any) -> Any:
    notify = await start_notify(provider_config(providers))
    fields = {"phone": "+12025550123", "push_token": PUSH_TOKEN, "channels": frozenset({"sms", "push"})}
    await notify.set_preferences(timezone="Europe/Berlin", **{**fields, **prefs})
    return notify


async def test_sms_and_push_reach_the_providers_in_their_protocols(
    start_notify: StartNotify, providers: FakeProviders
) -> None:
    notify = await start(start_notify, providers)
    event = booked()
    await notify.publish(event)

    await notify.wait_status("delivered", "channel = 'sms' AND kind = 'message'")
    await notify.wait_status("delivered", "channel = 'push' AND kind = 'message'")
    local_time = event.start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M %Z")
    [sms] = providers.of("twilio")
    assert sms.path == "/2010-04-01/Accounts/ACtest0001/Messages.json"
    assert (
        sms.headers["authorization"] == "Basic " + base64.b64encode(b"ACtest0001:twilio-test-token").decode()
    )
    assert sms.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sms.body["To"] == "+12025550123"
    assert sms.body["From"] == "+15005550006"
    assert local_time in sms.body["Body"] and event.appointment_id in sms.body["Body"]
    [push] = providers.of("expo")
    assert push.headers["authorization"] == "Bearer expo-test-token"
    assert push.body["to"] == PUSH_TOKEN
    assert push.body["title"] == "Appointment confirmed"
    assert local_time in push.body["body"]
    assert (
        push.body["data"]["notification_id"]
        == (await notify.one("channel = 'push' AND kind = 'message'"))["id"]
    )


async def test_an_invalid_number_is_a_permanent_failure(
    start_notify: StartNotify, providers: FakeProviders
) -> None:
    providers.replies["twilio"].append((400, {"code": 21211, "message": "The 'To' number is not valid."}))
    notify = await start(start_notify, providers, channels=frozenset({"sms"}))
    await notify.publish(booked())

    failed = await notify.wait_status("failed", "channel = 'sms' AND kind = 'message'")
    assert failed["attempts"] == 1
    assert failed["last_error"].startswith("invalid-address: HTTP 400, Twilio error 21211")
    [event] = [e for e in await notify.outbox() if e["type"] == "notify.NotificationFailed"]
    assert event["payload"]["reason"] == "invalid-address"


async def test_a_provider_outage_is_retried(start_notify: StartNotify, providers: FakeProviders) -> None:
    providers.replies["twilio"].extend([(503, {"message": "unavailable"}), (429, {"code": 20429})])
    notify = await start(start_notify, providers, channels=frozenset({"sms"}))
    await notify.publish(booked())

    delivered = await notify.wait_status("delivered", "channel = 'sms' AND kind = 'message'")
    assert delivered["attempts"] == 3
    assert [a["outcome"] for a in await notify.attempts(delivered["id"])] == [
        "transient-error",
        "transient-error",
        "delivered",
    ]
    assert len(providers.of("twilio")) == 3


async def test_an_unregistered_device_fails_and_a_malformed_token_is_never_sent(
    start_notify: StartNotify, providers: FakeProviders
) -> None:
    providers.replies["expo"].append(
        (200, {"data": {"status": "error", "message": "gone", "details": {"error": "DeviceNotRegistered"}}})
    )
    notify = await start(start_notify, providers, channels=frozenset({"push"}))
    await notify.publish(booked())
    failed = await notify.wait_status("failed", "channel = 'push' AND kind = 'message'")
    assert failed["last_error"] == "invalid-address: Expo ticket error DeviceNotRegistered"

    await notify.set_preferences(push_token="not-a-push-token", channels=frozenset({"push"}))
    await notify.publish(booked())
    malformed = await notify.wait_status(
        "failed", "channel = 'push' AND kind = 'message' AND last_error LIKE $1", "%not an Expo push token%"
    )
    assert malformed["attempts"] == 1
    assert len(providers.of("expo")) == 1
