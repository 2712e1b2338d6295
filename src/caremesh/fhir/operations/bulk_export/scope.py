"""Which resources an export job writes: per type, pages of current bodies in id order.

System level: every stored resource of the asked types. Patient level: the Patient compartment
(the patients, and resources linked to a patient through a compartment parameter). Group level:
the same, for the patients the Group lists as members.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import orjson

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.storage import resources
from caremesh.kernel.db.base import Database

PAGE = 1000
MEMBER_CHUNK = 500
MAX_GROUP_MEMBERS = 50_000


@dataclass(frozen=True, slots=True)
class Scope:
    types: tuple[str, ...]
    since: datetime | None
    patients: tuple[str, ...] | None  # None: no compartment filter (system) or every patient
    compartment: bool  # patient or group level


def types_of(
    definitions: Definitions, served: frozenset[str], level: str, asked: tuple[str, ...] | None
) -> tuple[str, ...]:
    allowed = (
        served
        if level == "system"
        else frozenset(t for t in definitions.compartment if t in served) | {"Patient"}
    )
    if asked is None:
        return tuple(sorted(allowed))
    outside = [t for t in asked if t not in allowed]
    if outside:
        where = "served here" if level == "system" else "in the Patient compartment"
        raise FhirError.single(400, "not-supported", f"_type {outside[0][:60]!r} is not {where}", "_type")
    return tuple(dict.fromkeys(asked))


async def group_members(db: Database, group_id: str) -> tuple[str, ...]:
    async with db.read() as conn:
        stored = await resources.current(conn, "Group", group_id)
    if stored is None or stored.deleted or stored.body is None:
        raise FhirError.single(404, "not-found", f"Group/{group_id[:64]} is not known")
    members = []
    for member in orjson.loads(stored.body).get("member") or []:
        reference = str((member.get("entity") or {}).get("reference", ""))
        kind, _, patient_id = reference.rpartition("/")
        if kind.endswith("Patient") and patient_id:
            members.append(patient_id)
    if len(members) > MAX_GROUP_MEMBERS:
        raise FhirError.single(400, "too-costly", f"the group has more than {MAX_GROUP_MEMBERS} members")
    return tuple(dict.fromkeys(members))


def _page_sql(definitions: Definitions, kind: str, scope: Scope, members: int) -> tuple[str, list[object]]:
    args: list[object] = [kind]
    where = ["r.res_type = $1", "r.deleted = 0", "r.res_id > $2"]
    args.append("")
    if scope.since is not None:
        args.append(scope.since)
        where.append(f"r.last_updated >= ${len(args)}")
    member_marks = ", ".join(f"${len(args) + i + 1}" for i in range(members))
    if scope.compartment and kind == "Patient" and members:
        where.append(f"r.res_id IN ({member_marks})")
    elif scope.compartment and kind != "Patient":
        params = ", ".join(f"'{p}'" for p in definitions.compartment.get(kind, ()))
        linked = f"s.res_type = $1 AND s.target_type = 'Patient' AND s.param IN ({params})"
        if members:
            linked += f" AND s.target_id IN ({member_marks})"
        where.append(f"r.res_id IN (SELECT s.res_id FROM fhir_sp_reference s WHERE {linked})")
    conditions = " AND ".join(where)
    sql = f"SELECT r.res_id, r.body FROM fhir_resource r WHERE {conditions} ORDER BY r.res_id LIMIT {PAGE}"
    return sql, args


async def pages(
    db: Database, definitions: Definitions, kind: str, scope: Scope
) -> AsyncIterator[list[bytes]]:
    """Pages of resource bodies of ``kind`` in scope (each resource once)."""
    chunks: list[tuple[str, ...]] = [()]
    if scope.patients is not None:
        chunks = [scope.patients[i : i + MEMBER_CHUNK] for i in range(0, len(scope.patients), MEMBER_CHUNK)]
    seen: set[str] = set()
    for chunk in chunks:
        sql, args = _page_sql(definitions, kind, scope, len(chunk))
        after = ""
        while True:
            async with db.read() as conn:
                rows = await conn.fetch(sql, *args[:1], after, *args[2:], *chunk)
            if not rows:
                break
            after = rows[-1]["res_id"]
            fresh = [row for row in rows if len(chunks) == 1 or row["res_id"] not in seen]
            if len(chunks) > 1:
                seen.update(row["res_id"] for row in fresh)
            yield [bytes(row["body"]) for row in fresh]
            if len(rows) < PAGE:
                break
