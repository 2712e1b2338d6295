"""Effective care plans: the patient's own where the care team set one, else the shipped default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
import structlog

from caremesh.kernel.db.base import Connection
from caremesh.kernel.errors import Unprocessable
from caremesh.modules.monitoring.adapters.alerting import care_sql
from caremesh.modules.monitoring.domain.care_plan import CarePlan
from caremesh.modules.monitoring.domain.care_plan_parsing import (
    CarePlanError,
    care_plan_from_dict,
    care_plan_to_dict,
    default_care_plan,
)

log = structlog.get_logger(__name__)


@lru_cache(maxsize=4096)
def _parsed(text: str) -> CarePlan:
    # Stored plans were validated on the way in; the cache spares re-parsing on every batch.
    return care_plan_from_dict(orjson.loads(text))


def _readable(text: str) -> CarePlan | None:
    try:
        return _parsed(text)
    except (CarePlanError, ValueError):
        return None


async def plans_for(conn: Connection, patients: Sequence[str]) -> dict[str, CarePlan]:
    """Every patient's effective plan: one query for the whole batch.

    A stored plan that no longer parses (e.g. a rule this version rejects) must not stop ingestion,
    which runs this in its transaction: the patient is judged by the default plan meanwhile.
    """
    own = {p: _readable(text) for p, text in (await care_sql.plan_texts(conn, patients)).items()}
    unreadable = sum(1 for plan in own.values() if plan is None)
    if unreadable:
        log.warning("stored care plans unreadable; default plan used", count=unreadable)
    default = default_care_plan()
    return {p: own.get(p) or default for p in patients}


async def plan_document(conn: Connection, patient_id: str) -> tuple[dict[str, Any], str]:
    """The effective plan as data, and where it comes from ("patient" or "default")."""
    own = await care_sql.plan_texts(conn, [patient_id])
    if patient_id in own:
        return care_plan_to_dict(_parsed(own[patient_id])), "patient"
    return care_plan_to_dict(default_care_plan()), "default"


async def set_plan(
    conn: Connection, patient_id: str, data: dict[str, Any], by: str, now: datetime
) -> dict[str, Any]:
    try:
        plan = care_plan_from_dict(data)
    except CarePlanError as exc:
        raise Unprocessable("the care plan is not valid", details={"errors": exc.problems}) from exc
    document = care_plan_to_dict(plan)  # normalised: what is stored is what was checked
    await care_sql.put_plan(conn, patient_id, orjson.dumps(document).decode(), by, now)
    return document
