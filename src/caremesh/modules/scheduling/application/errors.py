"""Maps broken domain rules onto the kernel's errors, which the HTTP layer renders as problems."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from caremesh.kernel.errors import CaremeshError, Conflict, Unprocessable
from caremesh.modules.scheduling.domain.errors import (
    InvalidAvailability,
    InvalidSchedule,
    InvalidTransition,
    SchedulingRuleError,
    SlotInPast,
    SlotUnavailable,
    TooEarly,
)

# 422: the request itself can never succeed; 409: it conflicts with the current state.
_KERNEL_ERROR: dict[type[SchedulingRuleError], type[CaremeshError]] = {
    InvalidSchedule: Unprocessable,
    InvalidAvailability: Unprocessable,
    SlotInPast: Unprocessable,
    SlotUnavailable: Conflict,
    InvalidTransition: Conflict,
    TooEarly: Conflict,
}


@contextmanager
def as_kernel_errors() -> Iterator[None]:
    try:
        yield
    except SchedulingRuleError as exc:
        raise _KERNEL_ERROR.get(type(exc), Unprocessable)(exc.message) from exc
