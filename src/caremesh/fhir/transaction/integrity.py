"""A transaction must not leave references to nothing: every local reference of its resources
names a resource the bundle writes or one already stored (and not deleted by the bundle).

Only ``Type/id`` (optionally ``/_history/n``) references are checked: contained (``#id``) and
absolute references are not resolvable here. One query per referenced type.
"""

from __future__ import annotations

import re
from collections import defaultdict

from caremesh.fhir.outcome import FhirError
from caremesh.fhir.transaction.plan import Step
from caremesh.fhir.transaction.references import references
from caremesh.kernel.db.base import Connection

_LOCAL = re.compile(r"([A-Z][A-Za-z0-9]{0,63})/([A-Za-z0-9\-.]{1,64})(?:/_history/[0-9]{1,18})?")


def _written(steps: list[Step]) -> tuple[set[str], set[str]]:
    written, deleted = set(), set()
    for step in steps:
        entry = step.entry
        key = f"{entry.resource_type}/{step.target}"
        if step.target is not None and entry.method in ("POST", "PUT", "PATCH"):
            written.add(key)
        elif step.target is not None and entry.method == "DELETE":
            deleted.add(key)
    return written, deleted


async def refuse_missing_targets(
    conn: Connection, steps: list[Step], served: frozenset[str], checked: list[Step] | None = None
) -> None:
    """400 naming the first reference (and its entry) whose target does not exist.

    ``checked``: the prepared entries to check (default: every prepared entry of ``steps``).
    """
    written, deleted = _written(steps)
    wanted: dict[str, dict[str, str]] = defaultdict(dict)  # type -> id -> where it is referenced
    for step in steps if checked is None else checked:
        if step.incoming is None:
            continue
        for value in references(step.body or b""):
            match = _LOCAL.fullmatch(value)
            if match is None or match[1] not in served:
                continue
            key = f"{match[1]}/{match[2]}"
            if key in deleted:
                raise _missing(key, step, "is deleted by the same transaction")
            if key not in written:
                wanted[match[1]].setdefault(match[2], step.entry.where)
    for kind, ids in wanted.items():
        marks = ", ".join(f"${i + 2}" for i in range(len(ids)))
        rows = await conn.fetch(
            f"SELECT res_id FROM fhir_resource WHERE res_type = $1 AND deleted = 0 AND res_id IN ({marks})",
            kind,
            *ids,
        )
        found = {row["res_id"] for row in rows}
        for resource_id, where in ids.items():
            if resource_id not in found:
                text = f"{where}: the reference {kind}/{resource_id} names no stored resource"
                raise FhirError.single(400, "not-found", text, f"{where}.resource")


def _missing(key: str, step: Step, why: str) -> FhirError:
    where = step.entry.where
    return FhirError.single(400, "not-found", f"{where}: the reference {key} {why}", f"{where}.resource")
