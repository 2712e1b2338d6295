"""AppointmentBooked through the kernel to a real SMTP server: delivery, retries, failure, dedupe."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from notify_fakes import PATIENT, FakeSmtp
from notify_harness import StartNotify, booked, eventually, smtp_config


async def test_a_booked_appointment_is_confirmed_by_email_in_the_patients_time_zone(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    notify = await start_notify(smtp_config(smtp.port))
    await notify.set_preferences(preferred_name="Robin Test", timezone="America/New_York")
    event = booked()

    await notify.publish(event)

    confirmation = await notify.wait_status("delivered", "template_key = 'appointment_confirmation'")
    [email] = smtp.messages
    local = event.start.astimezone(ZoneInfo("America/New_York"))
    assert email["To"] == "robin.test@example.org"
    assert email["Subject"] == f"Appointment confirmed: {local.day} {local:%B %Y} at {local:%H:%M %Z}"
    assert email["X-Caremesh-Notification-Id"] == confirmation["id"]
    assert email.get_content().startswith("Dear Robin Test,")
    assert event.appointment_id in email.get_content()
    assert confirmation["attempts"] == 1
    [delivered] = [e for e in await notify.outbox() if e["type"] == "notify.NotificationDelivered"]
    assert delivered["payload"]["notification_id"] == confirmation["id"]
    assert delivered["payload"]["channel"] == "email"
    reminder = await notify.one("template_key = 'appointment_reminder'")
    assert reminder["status"] == "pending"
    assert reminder["next_attempt_at"] == event.start - timedelta(hours=24)


async def test_a_duplicate_event_yields_one_notification(start_notify: StartNotify, smtp: FakeSmtp) -> None:
    notify = await start_notify(smtp_config(smtp.port))
    await notify.set_preferences()
    event = booked()

    [envelope] = await notify.publish(event)
    await notify.runtime.transport.publish([envelope])  # the same envelope redelivered
    await notify.publish(event)  # the same fact republished under a new event id

    await notify.wait_status("delivered", "template_key = 'appointment_confirmation'")
    assert len(await notify.rows("template_key = 'appointment_reminder'")) == 1
    assert len(smtp.messages) == 1


async def test_mail_is_retried_while_the_smtp_server_is_down_and_delivered_once_it_is_up(
    start_notify: StartNotify, smtp_not_yet_running: FakeSmtp
) -> None:
    smtp = smtp_not_yet_running
    notify = await start_notify(smtp_config(smtp.port, max_attempts=50))
    await notify.set_preferences()
    await notify.publish(booked())

    async def retried_twice() -> bool:
        row = await notify.one("template_key = 'appointment_confirmation'")
        return bool(row["attempts"] >= 2 and row["status"] == "pending")

    await eventually(retried_twice)
    assert (await notify.one("template_key = 'appointment_confirmation'"))["last_error"].startswith(
        "smtp-unavailable"
    )
    smtp.start()

    confirmation = await notify.wait_status("delivered", "template_key = 'appointment_confirmation'")
    history = await notify.attempts(confirmation["id"])
    assert [a["outcome"] for a in history[:-1]] == ["transient-error"] * (len(history) - 1)
    assert history[-1]["outcome"] == "delivered"
    assert confirmation["attempts"] == len(history) >= 3
    assert len(smtp.messages) == 1


async def test_a_refused_recipient_fails_permanently_and_is_announced(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    smtp.handler.refuse_recipients = True
    notify = await start_notify(smtp_config(smtp.port))
    await notify.set_preferences()
    await notify.publish(booked())

    failed = await notify.wait_status("failed", "template_key = 'appointment_confirmation'")
    assert failed["attempts"] == 1
    assert failed["last_error"].startswith("recipient-refused")
    [event] = [e for e in await notify.outbox() if e["type"] == "notify.NotificationFailed"]
    assert event["payload"] == {
        **event["payload"],
        "notification_id": failed["id"],
        "patient_id": PATIENT,
        "channel": "email",
        "reason": "recipient-refused",
        "attempts": 1,
    }
    assert smtp.messages == []


async def test_an_opted_out_patient_gets_a_skipped_record_and_no_mail(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    notify = await start_notify(smtp_config(smtp.port))
    await notify.set_preferences(opted_out=frozenset({"appointment-updates"}))
    await notify.publish(booked())

    confirmation = await notify.one("template_key = 'appointment_confirmation'")
    assert confirmation["status"] == "skipped"
    assert confirmation["last_error"] == "opted-out:appointment-updates"
    reminder = await notify.one("template_key = 'appointment_reminder'")
    assert reminder["status"] == "pending"  # reminders are a category of their own
    assert smtp.messages == []


async def test_a_patient_without_preferences_is_recorded_not_guessed(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    notify = await start_notify(smtp_config(smtp.port))
    await notify.publish(booked(patient_id="pat-t-unknown"))

    rows = await notify.rows("patient_id = 'pat-t-unknown'")
    assert {(r["template_key"], r["channel"], r["status"], r["last_error"]) for r in rows} == {
        ("appointment_confirmation", None, "skipped", "no-preferences"),
        ("appointment_reminder", None, "skipped", "no-preferences"),
    }
