"""The reminder worker's question to scheduling, answered every way scheduling can answer it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest

from caremesh.contracts.scheduling import AppointmentView
from caremesh.kernel.errors import DependencyUnavailable
from caremesh.modules.notify.application.outcomes import Postpone, Skip
from caremesh.modules.notify.application.reminders import AppointmentStillBooked
from caremesh.modules.notify.domain.notification import REMINDER, DueNotification

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
POSTPONE = timedelta(minutes=5)
DUE = DueNotification(
    id="ntf-t-0001", patient_id="pat-t-0001", kind=REMINDER, template="appointment_reminder",
    category="appointment-reminders", channel="email", appointment_id="appt-t-0001", variables={},
    attempts=0, expires_at=NOW + timedelta(days=1),
)  # fmt: skip


class Scheduling:
    module: ClassVar[str] = "scheduling"
    api_name: ClassVar[str] = "scheduling"

    def __init__(self, answer: str | Exception | None) -> None:
        self.answer = answer

    async def get_appointment(self, appointment_id: str) -> AppointmentView | None:
        if isinstance(self.answer, Exception):
            raise self.answer
        if self.answer is None:
            return None
        return AppointmentView(
            id=appointment_id, status=self.answer, patient_id="pat-t-0001", schedule_id="s", slot_id="s",
            practitioner_id="p", start=NOW, end=NOW, created_at=NOW,
        )  # fmt: skip

    async def list_patient_appointments(self, patient_id: str) -> list[AppointmentView]:
        return []


async def ask(answer: str | Exception | None) -> Skip | Postpone | None:
    check = AppointmentStillBooked(Scheduling(answer), postpone=POSTPONE, clock=lambda: NOW)
    return await check(DUE)


async def test_a_booked_appointment_lets_the_reminder_go() -> None:
    assert await ask("booked") is None


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("cancelled", "appointment-cancelled"),
        ("noshow", "appointment-noshow"),
        (None, "appointment-not-found"),
    ],
)
async def test_any_other_answer_skips_the_reminder(answer: str | None, reason: str) -> None:
    assert await ask(answer) == Skip(reason)


@pytest.mark.parametrize("error", [DependencyUnavailable("breaker open"), RuntimeError("bug")])
async def test_no_answer_postpones_the_reminder_instead_of_sending_it_blind(error: Exception) -> None:
    outcome = await ask(error)
    assert isinstance(outcome, Postpone)
    assert outcome.until == NOW + POSTPONE
