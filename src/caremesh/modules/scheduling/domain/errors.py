"""Rule violations the domain reports; the application turns them into HTTP-level errors."""

from __future__ import annotations


class SchedulingRuleError(Exception):
    """Base of every broken scheduling rule."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidSchedule(SchedulingRuleError):
    """A schedule definition that cannot exist (e.g. an unknown time zone)."""


class InvalidAvailability(SchedulingRuleError):
    """Availability that cannot produce slots (e.g. an end before its start)."""


class SlotInPast(SchedulingRuleError):
    """The slot has already started, so it can no longer be booked."""


class SlotUnavailable(SchedulingRuleError):
    """The slot is busy, blocked or its schedule inactive: someone else's state wins."""


class InvalidTransition(SchedulingRuleError):
    """A status change the lifecycle does not allow (e.g. cancelling a cancelled appointment)."""


class TooEarly(SchedulingRuleError):
    """An outcome (fulfilled, no-show) recorded before the appointment has started."""
