"""``_include`` and ``_revinclude`` (``Type:param[:target]``, ``*``, ``:iterate``) over the reference index.

The first round starts from the page's matches; ``:iterate`` specs repeat from what the previous
round added until nothing new appears (bounded, since reference graphs may be cyclic).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from caremesh.fhir.search.control import IncludeSpec
from caremesh.fhir.search.fetch import Match, fetch_bodies
from caremesh.fhir.search.sql_common import Binder
from caremesh.kernel.db import Connection

MAX_ROUNDS = 5
MAX_INCLUDED = 5000

Key = tuple[str, str]


def _by_type(keys: Iterable[Key]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for res_type, res_id in keys:
        grouped[res_type].append(res_id)
    return grouped


async def _forward(conn: Connection, spec: IncludeSpec, ids: list[str]) -> set[Key]:
    b = Binder(conn.dialect)
    sql = (
        "SELECT DISTINCT target_type, target_id FROM fhir_sp_reference "
        f"WHERE res_type = {b(spec.source_type)} AND res_id IN ({b.many(ids)}) AND target_id IS NOT NULL"
    )
    if spec.param_code != "*":
        sql += f" AND param = {b(spec.param_code)}"
    if spec.target_type is not None:
        sql += f" AND target_type = {b(spec.target_type)}"
    return {(row[0], row[1]) for row in await conn.fetch(sql, *b.args) if row[0]}


async def _reverse(conn: Connection, spec: IncludeSpec, target_type: str, ids: list[str]) -> set[Key]:
    b = Binder(conn.dialect)
    sql = (
        "SELECT DISTINCT res_type, res_id FROM fhir_sp_reference "
        f"WHERE target_type = {b(target_type)} AND target_id IN ({b.many(ids)}) "
        f"AND res_type = {b(spec.source_type)}"
    )
    if spec.param_code != "*":
        sql += f" AND param = {b(spec.param_code)}"
    return {(row[0], row[1]) for row in await conn.fetch(sql, *b.args)}


async def _round(
    conn: Connection,
    frontier: dict[str, list[str]],
    includes: list[IncludeSpec],
    revincludes: list[IncludeSpec],
) -> set[Key]:
    found: set[Key] = set()
    for spec in includes:
        if spec.source_type in frontier:
            found |= await _forward(conn, spec, frontier[spec.source_type])
    for spec in revincludes:
        for target_type, ids in frontier.items():
            if spec.target_type in (None, target_type):
                found |= await _reverse(conn, spec, target_type, ids)
    return found


async def collect_included(
    conn: Connection, matches: list[Match], includes: list[IncludeSpec], revincludes: list[IncludeSpec]
) -> list[Match]:
    """The resources the include specs reach from ``matches``, each once, never one of the matches."""
    if not matches or not (includes or revincludes):
        return []
    seen: set[Key] = {(m.res_type, m.res_id) for m in matches}
    included: list[Match] = []
    frontier = _by_type(seen)
    round_includes, round_revincludes = includes, revincludes
    for _ in range(MAX_ROUNDS):
        new_keys = sorted(await _round(conn, frontier, round_includes, round_revincludes) - seen)
        new_keys = new_keys[: max(0, MAX_INCLUDED - len(included))]
        if not new_keys:
            break
        seen.update(new_keys)
        fetched = await fetch_bodies(conn, new_keys)
        included += fetched
        frontier = _by_type((m.res_type, m.res_id) for m in fetched)
        round_includes = [s for s in includes if s.iterate]
        round_revincludes = [s for s in revincludes if s.iterate]
        if not (round_includes or round_revincludes):
            break
    return included
