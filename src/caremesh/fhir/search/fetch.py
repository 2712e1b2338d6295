"""Read the bodies of a page (or of included resources) once, in the order asked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from caremesh.fhir.search.sql_common import Binder
from caremesh.kernel.db import Connection


@dataclass(frozen=True, slots=True)
class Match:
    res_type: str
    res_id: str
    body: bytes


async def fetch_bodies(conn: Connection, keys: list[tuple[str, str]]) -> list[Match]:
    """Current, not deleted versions of ``keys``; one query per resource type."""
    ids_by_type: dict[str, list[str]] = defaultdict(list)
    for res_type, res_id in keys:
        ids_by_type[res_type].append(res_id)
    bodies: dict[tuple[str, str], bytes] = {}
    for res_type, ids in ids_by_type.items():
        b = Binder(conn.dialect)
        rows = await conn.fetch(
            f"SELECT res_id, body FROM fhir_resource WHERE res_type = {b(res_type)} "
            f"AND res_id IN ({b.many(ids)}) AND deleted = 0",
            *b.args,
        )
        for row in rows:
            bodies[(res_type, row[0])] = bytes(row[1])
    return [Match(t, i, bodies[(t, i)]) for t, i in keys if (t, i) in bodies]
