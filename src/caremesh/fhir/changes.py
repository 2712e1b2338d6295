"""What the engine tells its host module about every write, inside the write's transaction.

The engine is a library and publishes nothing itself: the module that mounts it turns a
:class:`ResourceChange` into its own event (the clinical module's ``ResourceChanged``) through
its outbox, in the same transaction, so a change and its event commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from caremesh.fhir.definitions import Definitions
from caremesh.fhir.indexing.entries import IndexEntry, ReferenceEntry
from caremesh.kernel.db.base import Connection

CREATE, UPDATE, DELETE = "create", "update", "delete"


@dataclass(frozen=True, slots=True)
class ResourceChange:
    resource_type: str
    resource_id: str
    version: int
    interaction: str  # create | update | delete
    last_updated: datetime
    patient_id: str | None  # the Patient whose compartment holds the resource, when known


class ChangeListener(Protocol):
    """Told of one change, or of many at once (a transaction's creates: one outbox insert)."""

    def __call__(self, conn: Connection, *changes: ResourceChange) -> Awaitable[None]: ...


async def ignore_change(conn: Connection, *changes: ResourceChange) -> None:
    """The listener of an engine whose host publishes nothing."""


def compartment_patient(
    definitions: Definitions, resource_type: str, resource_id: str, references: Iterable[tuple[str, str]]
) -> str | None:
    """The Patient of the resource: itself, or the first Patient reference in a compartment param.

    ``references`` are (param, patient id) pairs; the compartment definition's param order decides
    (an Observation's ``subject`` before its ``performer``).
    """
    if resource_type == "Patient":
        return resource_id
    params = definitions.compartment.get(resource_type, ())
    if not params:
        return None
    found: dict[str, str] = {}
    for param, patient_id in references:
        found.setdefault(param, patient_id)
    return next((found[param] for param in params if param in found), None)


def patient_references(entries: Sequence[IndexEntry]) -> list[tuple[str, str]]:
    return [
        (entry.param, entry.target_id)
        for entry in entries
        if isinstance(entry, ReferenceEntry) and entry.target_type == "Patient" and entry.target_id
    ]


async def stored_patient_references(
    conn: Connection, resource_type: str, resource_id: str
) -> list[tuple[str, str]]:
    """The Patient references of a stored resource, from its index rows (read before a delete)."""
    rows = await conn.fetch(
        "SELECT param, target_id FROM fhir_sp_reference "
        "WHERE res_type = $1 AND res_id = $2 AND target_type = 'Patient' AND target_id IS NOT NULL",
        resource_type,
        resource_id,
    )
    return [(row["param"], row["target_id"]) for row in rows]
