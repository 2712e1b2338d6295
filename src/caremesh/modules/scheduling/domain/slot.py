"""Slots: bookable intervals of a schedule, in UTC, and the rule for booking one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from caremesh.modules.scheduling.domain.errors import SlotInPast, SlotUnavailable


class SlotStatus(StrEnum):
    FREE = "free"
    BUSY = "busy"
    BLOCKED = "blocked"


@dataclass(frozen=True, order=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True)
class Slot:
    id: str
    schedule_id: str
    start: datetime
    end: datetime
    status: SlotStatus

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


def ensure_bookable(slot: Slot, *, schedule_active: bool, now: datetime) -> None:
    """Only a free slot of an active schedule that has not started yet can be booked."""
    if slot.start <= now:
        raise SlotInPast("the slot has already started and can no longer be booked")
    if not schedule_active:
        raise SlotUnavailable("the slot's schedule is not active")
    if slot.status is not SlotStatus.FREE:
        raise SlotUnavailable(f"the slot is {slot.status.value}")


_STATUS_CHANGES = {
    (SlotStatus.FREE, SlotStatus.BLOCKED),
    (SlotStatus.BLOCKED, SlotStatus.FREE),
}


def ensure_status_change(slot: Slot, target: SlotStatus) -> None:
    """Staff may block a free slot or unblock a blocked one; busy slots change only via appointments."""
    if (slot.status, target) not in _STATUS_CHANGES:
        raise SlotUnavailable(f"a {slot.status.value} slot cannot be made {target.value}")
