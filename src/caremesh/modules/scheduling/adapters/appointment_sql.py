"""Appointments in SQL; the unique partial index turns a second active booking into an error."""

from __future__ import annotations

import sqlite3

import asyncpg

from caremesh.kernel.db.base import Connection, Row
from caremesh.modules.scheduling.adapters.sql import Where, violates_unique
from caremesh.modules.scheduling.application.ports import ActiveAppointmentExists, AppointmentQuery
from caremesh.modules.scheduling.domain.appointment import Appointment, AppointmentStatus

ONE_ACTIVE_PER_SLOT = "appointments_one_active_per_slot"

_SELECT = (
    "SELECT a.id, a.slot_id, a.schedule_id, a.patient_id, a.status, a.start_at, a.end_at, "
    "a.service_type, a.reason, a.booked_by, a.created_at, a.updated_at, a.cancelled_at, "
    "a.cancel_reason, s.practitioner_id, s.location "
    "FROM appointments a JOIN schedules s ON s.id = a.schedule_id"
)


def appointment_from_row(row: Row) -> Appointment:
    return Appointment(
        id=row["id"],
        slot_id=row["slot_id"],
        schedule_id=row["schedule_id"],
        practitioner_id=row["practitioner_id"],
        patient_id=row["patient_id"],
        status=AppointmentStatus(row["status"]),
        start=row["start_at"],
        end=row["end_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        booked_by=row["booked_by"],
        location=row["location"],
        service_type=row["service_type"],
        reason=row["reason"],
        cancelled_at=row["cancelled_at"],
        cancel_reason=row["cancel_reason"],
    )


class AppointmentSql:
    async def add_appointment(self, conn: Connection, appointment: Appointment) -> None:
        try:
            await conn.execute(
                "INSERT INTO appointments (id, slot_id, schedule_id, patient_id, status, start_at, end_at, "
                "service_type, reason, booked_by, created_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                appointment.id,
                appointment.slot_id,
                appointment.schedule_id,
                appointment.patient_id,
                appointment.status.value,
                appointment.start,
                appointment.end,
                appointment.service_type,
                appointment.reason,
                appointment.booked_by,
                appointment.created_at,
                appointment.updated_at,
            )
        except (asyncpg.UniqueViolationError, sqlite3.IntegrityError) as exc:
            if violates_unique(exc, ONE_ACTIVE_PER_SLOT) or violates_unique(exc, "appointments.slot_id"):
                raise ActiveAppointmentExists(appointment.slot_id) from exc
            raise

    async def appointment(self, conn: Connection, appointment_id: str) -> Appointment | None:
        row = await conn.fetchrow(f"{_SELECT} WHERE a.id = $1", appointment_id)
        return None if row is None else appointment_from_row(row)

    async def appointments(self, conn: Connection, query: AppointmentQuery) -> list[Appointment]:
        where = Where()
        where.add_if("a.patient_id = {}", query.patient_id)
        where.add_if("a.schedule_id = {}", query.schedule_id)
        where.add_if("a.status = {}", None if query.status is None else query.status.value)
        if query.after is not None:
            where.after("a.start_at", "a.id", query.after.start, query.after.id)
        limit = where.param(query.limit)
        rows = await conn.fetch(
            f"{_SELECT} {where.sql()} ORDER BY a.start_at, a.id LIMIT {limit}", *where.args
        )
        return [appointment_from_row(row) for row in rows]

    async def save_status(
        self, conn: Connection, appointment: Appointment, previous: AppointmentStatus
    ) -> bool:
        changed = await conn.execute(
            "UPDATE appointments SET status = $3, updated_at = $4, cancelled_at = $5, cancel_reason = $6 "
            "WHERE id = $1 AND status = $2",
            appointment.id,
            previous.value,
            appointment.status.value,
            appointment.updated_at,
            appointment.cancelled_at,
            appointment.cancel_reason,
        )
        return changed == 1
