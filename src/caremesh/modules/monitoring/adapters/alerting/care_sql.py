"""SQL for care plans and care teams."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from caremesh.kernel.db.base import Connection
from caremesh.modules.monitoring.adapters.alerting.sql import json_list, text_set
from caremesh.modules.monitoring.application.alerting.records import TeamMember


async def plan_texts(conn: Connection, patients: Sequence[str]) -> dict[str, str]:
    """The stored plan (JSON text) of each patient that has one of their own."""
    rows = await conn.fetch(
        f"SELECT patient_id, plan FROM alert_care_plans WHERE patient_id IN {text_set(conn, '$1')}",
        json_list(patients),
    )
    return {row["patient_id"]: row["plan"] for row in rows}


async def put_plan(conn: Connection, patient_id: str, plan: str, updated_by: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO alert_care_plans (patient_id, plan, updated_by, updated_at) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (patient_id) DO UPDATE SET plan = excluded.plan, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        patient_id,
        plan,
        updated_by,
        now,
    )


async def delete_plan(conn: Connection, patient_id: str) -> bool:
    return await conn.execute("DELETE FROM alert_care_plans WHERE patient_id = $1", patient_id) == 1


async def teams(conn: Connection, patients: Sequence[str]) -> dict[str, list[TeamMember]]:
    rows = await conn.fetch(
        "SELECT patient_id, staff_id, role FROM alert_care_team "
        f"WHERE patient_id IN {text_set(conn, '$1')} ORDER BY patient_id, position",
        json_list(patients),
    )
    found: dict[str, list[TeamMember]] = {}
    for row in rows:
        found.setdefault(row["patient_id"], []).append(TeamMember(row["staff_id"], row["role"]))
    return found


async def replace_team(conn: Connection, patient_id: str, members: Sequence[TeamMember]) -> None:
    await conn.execute("DELETE FROM alert_care_team WHERE patient_id = $1", patient_id)
    await conn.executemany(
        "INSERT INTO alert_care_team (patient_id, position, staff_id, role) VALUES ($1, $2, $3, $4)",
        [(patient_id, i, m.staff_id, m.role) for i, m in enumerate(members)],
    )
