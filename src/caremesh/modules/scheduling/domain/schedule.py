"""A practitioner's schedule: whose time, where, for what service, in which time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from caremesh.modules.scheduling.domain.errors import InvalidSchedule


def load_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or :class:`InvalidSchedule` if there is none by that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError) as exc:
        raise InvalidSchedule(f"{name!r} is not an IANA time zone name") from exc


@dataclass(frozen=True)
class Schedule:
    id: str
    practitioner_id: str
    service_type: str
    timezone: str
    location: str | None
    active: bool
    created_at: datetime

    def __post_init__(self) -> None:
        load_zone(self.timezone)

    @property
    def zone(self) -> ZoneInfo:
        return load_zone(self.timezone)
