"""Request bodies. Strict where JSON has the type (no "1" for 1), text-only for dates and times."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from caremesh.modules.scheduling.application.errors import as_kernel_errors
from caremesh.modules.scheduling.application.schedules import NewSchedule
from caremesh.modules.scheduling.domain.availability import Availability, WorkingHours


def _text_only(value: Any) -> Any:
    # Without this, pydantic would read a number as a Unix timestamp and accept it as a date.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string")
    return value


IsoDate = Annotated[date, BeforeValidator(_text_only)]
LocalTime = Annotated[time, BeforeValidator(_text_only)]
Identifier = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
ShortText = Annotated[StrictStr, Field(min_length=1, max_length=200)]
FreeText = Annotated[StrictStr, Field(max_length=1000)]
Weekday = Annotated[StrictInt, Field(ge=1, le=7)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleIn(_Body):
    practitioner_id: Identifier
    service_type: ShortText
    timezone: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    location: ShortText | None = None
    active: StrictBool = True

    def to_new_schedule(self) -> NewSchedule:
        return NewSchedule(
            practitioner_id=self.practitioner_id,
            service_type=self.service_type,
            timezone=self.timezone,
            location=self.location,
            active=self.active,
        )


class HoursIn(_Body):
    start: LocalTime
    end: LocalTime


class SlotGenerationIn(_Body):
    start_date: IsoDate
    end_date: IsoDate
    days_of_week: list[Weekday] = Field(default_factory=lambda: [1, 2, 3, 4, 5], min_length=1, max_length=7)
    hours: list[HoursIn] = Field(min_length=1, max_length=12)
    slot_minutes: Annotated[StrictInt, Field(ge=5, le=720)]

    def to_availability(self) -> Availability:
        with as_kernel_errors():
            return Availability(
                first_day=self.start_date,
                last_day=self.end_date,
                weekdays=frozenset(self.days_of_week),
                hours=tuple(WorkingHours(window.start, window.end) for window in self.hours),
                slot_length=timedelta(minutes=self.slot_minutes),
            )


class AppointmentIn(_Body):
    slot_id: Identifier
    patient_id: Identifier
    service_type: ShortText | None = None
    reason: FreeText | None = None


class CancelIn(_Body):
    reason: FreeText | None = None


class OutcomeIn(_Body):
    status: Literal["fulfilled", "noshow"]
