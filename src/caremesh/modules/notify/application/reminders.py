"""The reminder worker's last look: is the appointment still booked?

Scheduling owns that answer. If it cannot be asked (down, slow, breaker open), the reminder is
postponed rather than sent blind: a reminder for a cancelled appointment sends a patient to a
clinic for nothing, while a late reminder is only a little less useful. Expiry at the
appointment's start bounds how long a reminder can be postponed.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from caremesh.contracts.scheduling import SchedulingAPI
from caremesh.kernel.clock import Clock
from caremesh.kernel.errors import DependencyUnavailable
from caremesh.modules.notify.application.outcomes import Postpone, Skip
from caremesh.modules.notify.domain.notification import DueNotification, reminder_gate

log = structlog.get_logger(__name__)


class AppointmentStillBooked:
    def __init__(self, scheduling: SchedulingAPI, *, postpone: timedelta, clock: Clock) -> None:
        self._scheduling = scheduling
        self._postpone = postpone
        self._clock = clock

    async def __call__(self, due: DueNotification) -> Skip | Postpone | None:
        if due.appointment_id is None:
            return None
        try:
            appointment = await self._scheduling.get_appointment(due.appointment_id)
        except DependencyUnavailable:
            log.warning("scheduling unavailable; reminder postponed", notification_id=due.id)
            return self._postponed("dependency-unavailable")
        except Exception:
            # Not knowing is not knowing: never send blind, whatever the reason.
            log.exception("scheduling check failed; reminder postponed", notification_id=due.id)
            return self._postponed("scheduling-check-failed")
        reason = reminder_gate(None if appointment is None else appointment.status)
        return None if reason is None else Skip(reason)

    def _postponed(self, code: str) -> Postpone:
        return Postpone(self._clock() + self._postpone, f"{code}: appointment status unknown; postponed")
