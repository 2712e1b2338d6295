"""The in-process implementation of the published ``SchedulingAPI``."""

from __future__ import annotations

from caremesh.contracts.scheduling import AppointmentView
from caremesh.modules.scheduling.application import events
from caremesh.modules.scheduling.application.deps import SchedulingDeps
from caremesh.modules.scheduling.application.ports import AppointmentQuery, TimeKey

_PAGE = 200


class SchedulingFacade:
    def __init__(self, deps: SchedulingDeps) -> None:
        self._deps = deps

    async def get_appointment(self, appointment_id: str) -> AppointmentView | None:
        async with self._deps.db.read() as conn:
            appointment = await self._deps.store.appointment(conn, appointment_id)
        return None if appointment is None else events.view(appointment)

    async def list_patient_appointments(self, patient_id: str) -> list[AppointmentView]:
        views: list[AppointmentView] = []
        after: TimeKey | None = None
        while True:
            query = AppointmentQuery(limit=_PAGE, patient_id=patient_id, after=after)
            async with self._deps.db.read() as conn:
                batch = await self._deps.store.appointments(conn, query)
            views.extend(events.view(appointment) for appointment in batch)
            if len(batch) < _PAGE:
                return views
            after = TimeKey(batch[-1].start, batch[-1].id)
