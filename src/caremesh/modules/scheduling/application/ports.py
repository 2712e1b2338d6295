"""What the use cases need from persistence; the SQL adapter implements it for both dialects.

Every method takes the caller's connection, so a use case composes several of them in one
transaction together with the outbox write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from caremesh.kernel.db.base import Connection
from caremesh.modules.scheduling.domain.appointment import Appointment, AppointmentStatus
from caremesh.modules.scheduling.domain.schedule import Schedule
from caremesh.modules.scheduling.domain.slot import Interval, Slot, SlotStatus


class ActiveAppointmentExists(Exception):
    """The database refused a second appointment that is not cancelled for one slot."""


@dataclass(frozen=True)
class ScheduleQuery:
    limit: int
    practitioner_id: str | None = None
    active: bool | None = None
    after_id: str | None = None


@dataclass(frozen=True)
class TimeKey:
    """Keyset position for lists ordered by (start, id)."""

    start: datetime
    id: str


@dataclass(frozen=True)
class SlotQuery:
    """Slots whose start lies in [starts_from, starts_before), oldest first."""

    limit: int
    schedule_id: str | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    status: SlotStatus | None = None
    after: TimeKey | None = None


@dataclass(frozen=True)
class AppointmentQuery:
    limit: int
    patient_id: str | None = None
    schedule_id: str | None = None
    status: AppointmentStatus | None = None
    after: TimeKey | None = None


class SchedulingStore(Protocol):
    async def add_schedule(self, conn: Connection, schedule: Schedule) -> None: ...

    async def schedule(self, conn: Connection, schedule_id: str) -> Schedule | None: ...

    async def schedules(self, conn: Connection, query: ScheduleQuery) -> list[Schedule]: ...

    async def lock_schedule(self, conn: Connection, schedule_id: str, now: datetime) -> bool:
        """Take the schedule's row lock for the rest of the transaction; False if it does not exist."""
        ...

    async def set_schedule_active(
        self, conn: Connection, schedule_id: str, active: bool, now: datetime
    ) -> None: ...

    async def slot_intervals(self, conn: Connection, schedule_id: str, span: Interval) -> list[Interval]:
        """The intervals of the schedule's slots that overlap ``span``."""
        ...

    async def add_slots(
        self, conn: Connection, schedule_id: str, intervals: Sequence[Interval], now: datetime
    ) -> None: ...

    async def slot(self, conn: Connection, slot_id: str) -> Slot | None: ...

    async def slots(self, conn: Connection, query: SlotQuery) -> list[Slot]: ...

    async def claim_slot(self, conn: Connection, slot_id: str, now: datetime) -> bool:
        """Atomically turn a free, future slot of an active schedule busy; False if another won."""
        ...

    async def change_slot_status(
        self, conn: Connection, slot_id: str, current: SlotStatus, target: SlotStatus, now: datetime
    ) -> bool: ...

    async def add_appointment(self, conn: Connection, appointment: Appointment) -> None:
        """Insert; raise :class:`ActiveAppointmentExists` if the slot already has an active one."""
        ...

    async def appointment(self, conn: Connection, appointment_id: str) -> Appointment | None: ...

    async def appointments(self, conn: Connection, query: AppointmentQuery) -> list[Appointment]: ...

    async def save_status(
        self, conn: Connection, appointment: Appointment, previous: AppointmentStatus
    ) -> bool:
        """Write the new status only if the stored one is still ``previous``."""
        ...
