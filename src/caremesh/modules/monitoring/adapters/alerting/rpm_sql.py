"""SQL for the RPM programme: enrolments, days with readings, care minutes and charges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from caremesh.kernel.db.base import Connection
from caremesh.kernel.ids import new_id
from caremesh.modules.monitoring.adapters.alerting.sql import insert_rows, json_list, pair_set, text_set
from caremesh.modules.monitoring.domain.adherence import EarnedService


async def known_days(conn: Connection, pairs: Sequence[tuple[str, date]]) -> set[tuple[str, date]]:
    rows = await conn.fetch(
        f"SELECT patient_id, day FROM rpm_reading_days WHERE (patient_id, day) IN {pair_set(conn, '$1')}",
        json_list((p, d.isoformat()) for p, d in pairs),
    )
    return {(row["patient_id"], date.fromisoformat(row["day"])) for row in rows}


async def add_days(conn: Connection, pairs: Sequence[tuple[str, date]]) -> None:
    rows = [(p, d.isoformat()) for p, d in sorted(set(pairs))]
    await insert_rows(
        conn, "rpm_reading_days", (("patient_id", "text"), ("day", "text")), rows, "ON CONFLICT DO NOTHING"
    )


async def enrol(conn: Connection, first_days: Mapping[str, date], now: datetime) -> dict[str, date]:
    """Enrol patients not yet enrolled on their first reading day; return every patient's enrolment."""
    await conn.executemany(
        "INSERT INTO rpm_enrolments (patient_id, enrolled_on, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT DO NOTHING",
        [(p, d.isoformat(), now) for p, d in sorted(first_days.items())],
    )
    rows = await conn.fetch(
        f"SELECT patient_id, enrolled_on FROM rpm_enrolments WHERE patient_id IN {text_set(conn, '$1')}",
        json_list(first_days),
    )
    return {row["patient_id"]: date.fromisoformat(row["enrolled_on"]) for row in rows}


async def set_enrolment(conn: Connection, patient_id: str, enrolled_on: date, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO rpm_enrolments (patient_id, enrolled_on, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (patient_id) DO UPDATE SET enrolled_on = excluded.enrolled_on",
        patient_id,
        enrolled_on.isoformat(),
        now,
    )


async def enrolment(conn: Connection, patient_id: str) -> date | None:
    value = await conn.fetchval("SELECT enrolled_on FROM rpm_enrolments WHERE patient_id = $1", patient_id)
    return None if value is None else date.fromisoformat(value)


async def days_from(conn: Connection, patients: Sequence[str], first: date) -> dict[str, list[date]]:
    rows = await conn.fetch(
        "SELECT patient_id, day FROM rpm_reading_days "
        f"WHERE patient_id IN {text_set(conn, '$1')} AND day >= $2",
        json_list(patients),
        first.isoformat(),
    )
    found: dict[str, list[date]] = {}
    for row in rows:
        found.setdefault(row["patient_id"], []).append(date.fromisoformat(row["day"]))
    return found


async def add_minutes(
    conn: Connection, patient_id: str, staff_id: str, minutes: int, performed_at: datetime, note: str | None,
    now: datetime,
) -> str:  # fmt: skip
    entry_id = new_id()
    await conn.execute(
        "INSERT INTO rpm_care_minutes "
        "(id, patient_id, staff_id, month, minutes, performed_at, note, logged_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        entry_id, patient_id, staff_id, performed_at.strftime("%Y-%m"), minutes, performed_at, note, now,
    )  # fmt: skip
    return entry_id


async def minutes_in_month(conn: Connection, patient_id: str, month: str) -> int:
    total = await conn.fetchval(
        "SELECT COALESCE(SUM(minutes), 0) FROM rpm_care_minutes WHERE patient_id = $1 AND month = $2",
        patient_id,
        month,
    )
    return int(total)


async def add_charge(conn: Connection, service: EarnedService, now: datetime) -> bool:
    """Record an earned unit; False when it was already recorded (the unit is produced once)."""
    changed = await conn.execute(
        "INSERT INTO rpm_charges "
        "(charge_id, patient_id, cpt_code, period_start, period_end, sequence, earned_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        service.charge_id, service.patient_id, service.cpt_code, service.period.start.isoformat(),
        service.period.end.isoformat(), service.sequence, now,
    )  # fmt: skip
    return changed == 1


async def charges_of(conn: Connection, patient_id: str) -> list[tuple[str, str, str, int]]:
    rows = await conn.fetch(
        "SELECT cpt_code, period_start, period_end, sequence FROM rpm_charges WHERE patient_id = $1 "
        "ORDER BY period_start, cpt_code, sequence",
        patient_id,
    )
    return [(r["cpt_code"], r["period_start"], r["period_end"], int(r["sequence"])) for r in rows]
