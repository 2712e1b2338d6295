"""The RPM programme: device days from accepted readings, care minutes from staff, charges once each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from caremesh.contracts.monitoring import RpmServiceEarned
from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Unprocessable
from caremesh.kernel.events.outbox import Outbox
from caremesh.modules.monitoring.adapters.alerting import rpm_sql
from caremesh.modules.monitoring.application.alerting.metrics import RPM_SERVICES_EARNED
from caremesh.modules.monitoring.domain.adherence import (
    Adherence,
    EarnedService,
    calendar_month,
    care_minutes_earned,
    device_days_earned,
    device_period,
)
from caremesh.modules.monitoring.domain.reading import Reading

MAX_MINUTES_PER_ENTRY = 240


def reading_day(reading: Reading) -> date:
    return reading.measured_at.astimezone(UTC).date()


class RpmProgramme:
    # Days already recorded (committed) are remembered, so the common case (the patient already has a
    # reading today) costs no query. Only committed days enter; a miss just asks the database.
    KNOWN_DAYS_KEPT = 200_000

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox
        self._known_days: set[tuple[str, date]] = set()

    async def record_readings(self, conn: Connection, readings: Sequence[Reading], now: datetime) -> None:
        """Mark the days these readings fall on; earn 99454 for periods reaching 16 days."""
        pairs = sorted({(r.patient_id, reading_day(r)) for r in readings} - self._known_days)
        if not pairs:
            return
        new = sorted(set(pairs) - await rpm_sql.known_days(conn, pairs))
        conn.on_commit(lambda: self._remember(pairs))
        if not new:
            return
        await rpm_sql.add_days(conn, new)
        first_days: dict[str, date] = {}
        for patient_id, day in new:
            first_days[patient_id] = min(day, first_days.get(patient_id, day))
        enrolled = await rpm_sql.enrol(conn, first_days, now)
        periods = {(p, device_period(enrolled[p], d)) for p, d in new}
        earliest = min(period.start for _, period in periods)
        days = await rpm_sql.days_from(conn, sorted(first_days), earliest)
        earned = [
            service
            for patient_id, period in sorted(periods, key=lambda item: (item[0], item[1].start))
            for service in device_days_earned(
                patient_id, period, sum(1 for d in days.get(patient_id, []) if period.contains(d))
            )
        ]
        await self.earn(conn, earned, now)

    def _remember(self, days: Sequence[tuple[str, date]]) -> None:
        if len(self._known_days) + len(days) > self.KNOWN_DAYS_KEPT:
            self._known_days.clear()
        self._known_days.update(days)

    async def log_minutes(
        self, conn: Connection, patient_id: str, staff_id: str, minutes: int, performed_at: datetime,
        note: str | None, now: datetime,
    ) -> tuple[str, int]:  # fmt: skip
        """Log care-management time; return the entry id and the month's total after it."""
        if not 0 < minutes <= MAX_MINUTES_PER_ENTRY:
            raise Unprocessable(f"minutes must be between 1 and {MAX_MINUTES_PER_ENTRY} per entry")
        if performed_at > now:
            raise Unprocessable("performed_at must not be in the future")
        entry_id = await rpm_sql.add_minutes(conn, patient_id, staff_id, minutes, performed_at, note, now)
        day = performed_at.astimezone(UTC).date()
        total = await rpm_sql.minutes_in_month(conn, patient_id, day.strftime("%Y-%m"))
        await self.earn(conn, care_minutes_earned(patient_id, calendar_month(day), total), now)
        return entry_id, total

    async def earn(self, conn: Connection, services: Sequence[EarnedService], now: datetime) -> None:
        for service in services:
            if await rpm_sql.add_charge(conn, service, now):
                await self._outbox.add(
                    conn,
                    RpmServiceEarned(
                        charge_id=service.charge_id, patient_id=service.patient_id, cpt_code=service.cpt_code,
                        period_start=service.period.start, period_end=service.period.end,
                        sequence=service.sequence, earned_at=now,
                    ),
                )  # fmt: skip
                conn.on_commit(RPM_SERVICES_EARNED.labels(service.cpt_code).inc)


async def adherence(conn: Connection, patient_id: str, today: date) -> Adherence | None:
    """Days with readings in the patient's current 30-day device period (None: not enrolled)."""
    enrolled_on = await rpm_sql.enrolment(conn, patient_id)
    if enrolled_on is None:
        return None
    period = device_period(enrolled_on, today)
    days = await rpm_sql.days_from(conn, [patient_id], period.start)
    return Adherence(period, sum(1 for d in days.get(patient_id, []) if period.contains(d)))
