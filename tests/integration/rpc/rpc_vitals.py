"""A contract API and its provider used only by the RPC tests (synthetic vital signs).

The facade can be told to misbehave (answer 503, be slow, crash) so the tests can watch the
remote client's resilience against a real server.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import ClassVar, Protocol

import structlog
from opentelemetry import trace

from caremesh.contracts.base import Dto, command, query
from caremesh.kernel.errors import Conflict, DependencyUnavailable, NotFound


class Vital(Dto):
    id: str
    patient_id: str
    code: str  # LOINC
    value: float
    unit: str
    taken_at: datetime


class CallSeen(Dto):
    request_id: str | None
    trace_id: str | None


class VitalsAPI(Protocol):
    module: ClassVar[str] = "vitals"
    api_name: ClassVar[str] = "vitals"

    @query
    async def get_vital(self, vital_id: str) -> Vital | None: ...

    @query
    async def list_vitals(
        self, patient_id: str, *, since: datetime | None = None, limit: int = 10
    ) -> list[Vital]: ...

    @query
    async def latest_value(self, patient_id: str, code: str) -> float: ...

    @query
    async def call_seen(self) -> CallSeen: ...

    @command
    async def record_vital(
        self, patient_id: str, code: str, value: float, unit: str, taken_at: datetime
    ) -> Vital: ...

    @command
    async def discard_vital(self, vital_id: str) -> None: ...


class VitalsFacade:
    """The provider. ``unavailable_for`` calls answer 503, ``delay`` slows every call, ``crash`` fails it."""

    def __init__(self) -> None:
        self.vitals: dict[str, Vital] = {}
        self.calls: Counter[str] = Counter()
        self.unavailable_for = 0
        self.delay = 0.0
        self.crash = False

    async def _enter(self, method: str) -> None:
        self.calls[method] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.crash:
            raise RuntimeError("the vitals store is corrupt")
        if self.unavailable_for > 0:
            self.unavailable_for -= 1
            raise DependencyUnavailable("the vitals store is restarting")

    async def get_vital(self, vital_id: str) -> Vital | None:
        await self._enter("get_vital")
        return self.vitals.get(vital_id)

    async def list_vitals(
        self, patient_id: str, *, since: datetime | None = None, limit: int = 10
    ) -> list[Vital]:
        await self._enter("list_vitals")
        found = [v for v in self.vitals.values() if v.patient_id == patient_id]
        found = [v for v in found if since is None or v.taken_at >= since]
        return sorted(found, key=lambda v: v.taken_at)[:limit]

    async def latest_value(self, patient_id: str, code: str) -> float:
        await self._enter("latest_value")
        found = [v for v in self.vitals.values() if v.patient_id == patient_id and v.code == code]
        if not found:
            raise NotFound("no such vital sign", details={"code": code})
        return max(found, key=lambda v: v.taken_at).value

    async def call_seen(self) -> CallSeen:
        await self._enter("call_seen")
        context = trace.get_current_span().get_span_context()
        return CallSeen(
            request_id=structlog.contextvars.get_contextvars().get("request_id"),
            trace_id=format(context.trace_id, "032x") if context.is_valid else None,
        )

    async def record_vital(
        self, patient_id: str, code: str, value: float, unit: str, taken_at: datetime
    ) -> Vital:
        await self._enter("record_vital")
        for vital in self.vitals.values():
            if (vital.patient_id, vital.code, vital.taken_at) == (patient_id, code, taken_at):
                raise Conflict("this measurement is already recorded", details={"vital_id": vital.id})
        vital = Vital(
            id=f"v{len(self.vitals) + 1}", patient_id=patient_id, code=code, value=value, unit=unit,
            taken_at=taken_at,
        )
        self.vitals[vital.id] = vital
        return vital

    async def discard_vital(self, vital_id: str) -> None:
        await self._enter("discard_vital")
        self.vitals.pop(vital_id, None)

    async def reset(self) -> None:
        """Public, but not part of the contract: must not be reachable over RPC."""
        self.vitals.clear()

    async def _wipe(self) -> None:
        self.vitals.clear()
