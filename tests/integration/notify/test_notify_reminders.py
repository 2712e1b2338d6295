"""Reminders: sent only while scheduling says the appointment is booked, postponed when it cannot say."""

from __future__ import annotations

from datetime import timedelta

from notify_fakes import FakeSmtp
from notify_harness import StartNotify, booked, cancelled, eventually, smtp_config

from caremesh.kernel.clock import utcnow

REMINDER = "template_key = 'appointment_reminder'"


async def test_the_reminder_goes_out_when_the_appointment_is_still_booked(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    notify = await start_notify(smtp_config(smtp.port))
    await notify.set_preferences()
    event = booked()
    await notify.publish(event)
    await notify.wait_status("delivered", "template_key = 'appointment_confirmation'")

    await notify.make_reminders_due()

    await notify.wait_status("delivered", REMINDER)
    assert notify.scheduling.asked == [event.appointment_id]
    assert [m["Subject"].split(":")[0] for m in smtp.messages] == ["Appointment confirmed", "Reminder"]


async def test_no_reminder_for_an_appointment_scheduling_reports_cancelled(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    notify = await start_notify(smtp_config(smtp.port))
    await notify.set_preferences()
    await notify.publish(booked())
    await notify.wait_status("delivered", "template_key = 'appointment_confirmation'")
    notify.scheduling.status = "cancelled"  # e.g. the cancellation event has not arrived yet

    await notify.make_reminders_due()

    skipped = await notify.wait_status("skipped", REMINDER)
    assert skipped["last_error"] == "appointment-cancelled"
    assert skipped["attempts"] == 0
    assert len(smtp.messages) == 1  # the confirmation only


async def test_the_reminder_is_postponed_while_scheduling_is_unavailable(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    notify = await start_notify(smtp_config(smtp.port, reminder_postpone_seconds=120))
    await notify.set_preferences()
    await notify.publish(booked())
    await notify.wait_status("delivered", "template_key = 'appointment_confirmation'")
    notify.scheduling.unavailable = True

    await notify.make_reminders_due()

    async def postponed() -> bool:
        row = await notify.one(REMINDER)
        return bool(row["last_error"] and row["last_error"].startswith("dependency-unavailable"))

    await eventually(postponed)
    reminder = await notify.one(REMINDER)
    assert reminder["status"] == "pending"
    assert reminder["attempts"] == 0
    assert reminder["next_attempt_at"] > utcnow() + timedelta(seconds=100)
    assert len(smtp.messages) == 1

    notify.scheduling.unavailable = False
    await notify.make_reminders_due()
    await notify.wait_status("delivered", REMINDER)
    assert len(smtp.messages) == 2


async def test_a_cancellation_withdraws_the_reminder_and_notifies_the_patient(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    notify = await start_notify(smtp_config(smtp.port))
    await notify.set_preferences()
    event = booked()
    await notify.publish(event)
    await notify.wait_status("delivered", "template_key = 'appointment_confirmation'")

    await notify.publish(cancelled(event))

    notice = await notify.wait_status("delivered", "template_key = 'appointment_cancellation'")
    assert notice["appointment_id"] == event.appointment_id
    reminder = await notify.one(REMINDER)
    assert (reminder["status"], reminder["last_error"]) == ("cancelled", "appointment-cancelled")
    await notify.make_reminders_due()  # nothing pending is left to become due
    assert (await notify.one(REMINDER))["status"] == "cancelled"
    assert [m["Subject"].split(":")[0] for m in smtp.messages] == [
        "Appointment confirmed",
        "Appointment cancelled",
    ]


async def test_a_booking_inside_the_lead_time_gets_no_separate_reminder(
    start_notify: StartNotify, smtp: FakeSmtp
) -> None:
    notify = await start_notify(smtp_config(smtp.port))
    await notify.set_preferences()
    await notify.publish(booked(days_ahead=0.5))

    await notify.wait_status("delivered", "template_key = 'appointment_confirmation'")
    assert await notify.rows(REMINDER) == []
