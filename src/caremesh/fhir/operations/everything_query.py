"""The rows of ``Patient/[id]/$everything``: the patient's compartment plus what it refers to.

The specification returns "the patient resource and any resource in the patient compartment,
plus any resources referenced from those" (Practitioner, Organization, Location, Medication,
Device, ...). One statement pages through the union of both sets:

* members: the compartment (the same SQL as a compartment search);
* referenced: every local target of the members' reference index rows (references held by a
  search parameter, which covers the R4 reference elements that matter here), one level deep;
  never a Patient (the subject is a member already) nor a resource that names another patient
  (a Device or a Group of someone else): $everything must not leak another patient's record.

UNION removes duplicates (a Practitioner referenced by fifty Encounters comes once). The order
is the patient first, then by type and id: a total order, so offset pages are stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.search.compartment import compartment_scope, compartment_sql
from caremesh.fhir.search.sql_common import Binder
from caremesh.kernel.db import Connection


@dataclass(frozen=True)
class EverythingQuery:
    patient_id: str
    types: tuple[str, ...] | None  # _type; None: every type
    since: datetime | None  # _since: changed at or after
    count: int
    offset: int


def _statement(definitions: Definitions, query: EverythingQuery, b: Binder) -> str:
    scope = compartment_scope(definitions, ("Patient", query.patient_id), None)
    members = compartment_sql("r", definitions, scope, query.patient_id, b)
    patient, patient_type = b(query.patient_id), b("Patient")
    filters = ""
    if query.types is not None:
        filters += f" AND r.res_type IN ({b.many(query.types)})"
    if query.since is not None:
        filters += f" AND r.last_updated >= {b(query.since)}"
    return (
        f"WITH members AS (SELECT r.res_type, r.res_id FROM fhir_resource r "
        f"WHERE r.deleted = 0 AND {members}), "
        f"referenced AS (SELECT x.target_type AS res_type, x.target_id AS res_id FROM fhir_sp_reference x "
        f"WHERE (x.res_type, x.res_id) IN (SELECT res_type, res_id FROM members) "
        f"AND x.target_id IS NOT NULL AND x.target_type IS NOT NULL AND x.target_type <> {patient_type} "
        f"AND NOT EXISTS (SELECT 1 FROM fhir_sp_reference z WHERE z.res_type = x.target_type "
        f"AND z.res_id = x.target_id AND z.target_type = {patient_type} AND z.target_id <> {patient})), "
        f"everything AS (SELECT res_type, res_id FROM members UNION SELECT res_type, res_id FROM referenced) "
        f"SELECT r.res_type, r.res_id, r.body FROM everything e "
        f"JOIN fhir_resource r ON r.res_type = e.res_type AND r.res_id = e.res_id "
        f"WHERE r.deleted = 0{filters} "
        f"ORDER BY CASE WHEN r.res_type = {patient_type} AND r.res_id = {patient} THEN 0 ELSE 1 END, "
        f"r.res_type, r.res_id "
        f"LIMIT {b(query.count + 1)} OFFSET {b(query.offset)}"
    )


async def everything_rows(
    conn: Connection, definitions: Definitions, query: EverythingQuery
) -> tuple[list[tuple[str, str, bytes]], bool]:
    """One page of (type, id, body) and whether another page follows."""
    b = Binder(conn.dialect)
    sql = _statement(definitions, query, b)
    rows = await conn.fetch(sql, *b.args)
    page = [(row[0], row[1], bytes(row[2])) for row in rows[: query.count]]
    return page, len(rows) > query.count
