"""The SQL implementation of the scheduling store, identical on SQLite and PostgreSQL."""

from __future__ import annotations

from caremesh.modules.scheduling.adapters.appointment_sql import AppointmentSql
from caremesh.modules.scheduling.adapters.schedule_sql import ScheduleSql
from caremesh.modules.scheduling.adapters.slot_sql import SlotSql


class SqlSchedulingStore(ScheduleSql, SlotSql, AppointmentSql):
    """Stateless: every method works on the connection of the caller's transaction."""
