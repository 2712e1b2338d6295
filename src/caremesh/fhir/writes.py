"""One version of one resource, written inside the caller's transaction.

A write reads the current version, stamps the new one (id, versionId, lastUpdated), makes it
current only if the version it read is still current, appends it to the history, replaces the
index rows and tells the host module. Nothing here commits: the engine owns the transaction and
retries it when :class:`Contention` says another writer got there first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from caremesh.fhir.changes import (
    CREATE,
    DELETE,
    UPDATE,
    ChangeListener,
    ResourceChange,
    compartment_patient,
    patient_references,
    stored_patient_references,
)
from caremesh.fhir.definitions import Definitions
from caremesh.fhir.incoming import Incoming
from caremesh.fhir.indexing.entries import IndexEntry
from caremesh.fhir.meta import instant, stamp
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.storage import resources
from caremesh.fhir.storage.bulk import insert_new
from caremesh.fhir.storage.resources import StoredVersion
from caremesh.fhir.storage.versions import save_version
from caremesh.kernel.clock import Clock
from caremesh.kernel.db.base import Connection

_ONE_MICROSECOND = timedelta(microseconds=1)


class ResourceIndexer(Protocol):
    def entries(self, resource: dict[str, Any]) -> list[IndexEntry]: ...


class Contention(Exception):
    """The resource changed between this transaction's read and its write; try again."""


@dataclass(frozen=True, slots=True)
class Written:
    stored: StoredVersion
    created: bool  # a new resource (or a deleted one brought back), answered 201
    existing: bool = False  # a conditional create matched: nothing was written


def stale_version(expected: int, actual: StoredVersion | None) -> FhirError:
    found = "it does not exist" if actual is None else f"the current version is {actual.version}"
    return FhirError.single(412, "conflict", f"If-Match expects version {expected}, but {found}")


class Writer:
    def __init__(
        self, definitions: Definitions, indexer: ResourceIndexer, on_change: ChangeListener, clock: Clock
    ) -> None:
        self._definitions = definitions
        self._indexer = indexer
        self._on_change = on_change
        self._clock = clock

    def _moment(self, existing: StoredVersion | None) -> datetime:
        # Versions of one resource keep their order in time even if the wall clock steps back.
        now = self._clock()
        return max(now, existing.last_updated + _ONE_MICROSECOND) if existing is not None else now

    async def put(
        self,
        conn: Connection,
        incoming: Incoming,
        resource_id: str,
        *,
        method: str,
        if_match: int | None,
        based_on: int | None = None,
        fresh: bool = False,
    ) -> Written:
        """Create or replace ``resource_id`` with ``incoming`` (a deleted resource comes back).

        ``if_match``: the client's expected version (412 when stale). ``based_on``: the version
        ``incoming`` was derived from by the server (a patch): a retry, not a 412, when stale.
        ``fresh``: the server just minted ``resource_id``, so there is nothing to read first.
        """
        kind = incoming.resource_type
        existing = None if fresh else await resources.current(conn, kind, resource_id, lock=True)
        if if_match is not None and (existing is None or existing.version != if_match or existing.deleted):
            raise stale_version(if_match, existing)
        if based_on is not None and (existing is None or existing.version != based_on):
            raise Contention(f"{kind}/{resource_id}")
        version = 1 if existing is None else existing.version + 1
        moment = self._moment(existing)
        entries = self._entries(incoming, resource_id, version, moment)
        body = stamp(
            incoming.body, resource_type=kind, resource_id=resource_id, version=version, last_updated=moment
        )
        new = StoredVersion(kind, resource_id, version, moment, False, body, method)
        await self._save(conn, new, entries, existing, if_match)
        created = existing is None or existing.deleted
        patient = compartment_patient(self._definitions, kind, resource_id, patient_references(entries))
        await self._tell(conn, new, CREATE if created else UPDATE, patient)
        return Written(new, created=created)

    async def create_many(self, conn: Connection, fresh: Sequence[tuple[Incoming, str]]) -> list[Written]:
        """First versions of resources whose ids the server just minted (a transaction's creates),
        saved with one statement per table instead of one round trip per resource."""
        if not fresh:
            return []
        moment = self._clock()
        saved: list[tuple[StoredVersion, Sequence[IndexEntry]]] = []
        for incoming, resource_id in fresh:
            kind = incoming.resource_type
            entries = self._entries(incoming, resource_id, 1, moment)
            body = stamp(
                incoming.body, resource_type=kind, resource_id=resource_id, version=1, last_updated=moment
            )
            saved.append((StoredVersion(kind, resource_id, 1, moment, False, body, "POST"), entries))
        await insert_new(conn, saved)
        await self._on_change(conn, *(self._created(new, entries) for new, entries in saved))
        return [Written(new, created=True) for new, _ in saved]

    def _created(self, new: StoredVersion, entries: Sequence[IndexEntry]) -> ResourceChange:
        kind, resource_id = new.resource_type, new.resource_id
        patient = compartment_patient(self._definitions, kind, resource_id, patient_references(entries))
        return ResourceChange(kind, resource_id, new.version, CREATE, new.last_updated, patient)

    async def delete(
        self, conn: Connection, kind: str, resource_id: str, *, if_match: int | None
    ) -> StoredVersion | None:
        """Delete the resource (its history stays); None when there was nothing to delete."""
        existing = await resources.current(conn, kind, resource_id, lock=True)
        if if_match is not None and (existing is None or existing.version != if_match or existing.deleted):
            raise stale_version(if_match, existing)
        if existing is None or existing.deleted:
            return None
        references = await stored_patient_references(conn, kind, resource_id)
        new = StoredVersion(
            kind, resource_id, existing.version + 1, self._moment(existing), True, None, "DELETE"
        )
        await self._save(conn, new, (), existing, if_match)
        await self._tell(
            conn, new, DELETE, compartment_patient(self._definitions, kind, resource_id, references)
        )
        return new

    def _entries(
        self, incoming: Incoming, resource_id: str, version: int, moment: datetime
    ) -> Sequence[IndexEntry]:
        # The indexer sees the resource as stored: the server's id and meta (for _id, _lastUpdated).
        resource = incoming.resource
        client_meta = resource.get("meta")
        meta = dict(client_meta) if isinstance(client_meta, dict) else {}
        meta.update(versionId=str(version), lastUpdated=instant(moment))
        resource["id"], resource["meta"] = resource_id, meta
        return self._indexer.entries(resource)

    async def _save(
        self,
        conn: Connection,
        new: StoredVersion,
        entries: Sequence[IndexEntry],
        existing: StoredVersion | None,
        if_match: int | None,
    ) -> None:
        if await save_version(conn, new, entries, replaces=existing):
            return
        if if_match is not None:
            text = f"If-Match expects version {if_match}, but a concurrent write replaced it"
            raise FhirError.single(412, "conflict", text)
        raise Contention(f"{new.resource_type}/{new.resource_id}")

    async def _tell(
        self, conn: Connection, new: StoredVersion, interaction: str, patient: str | None
    ) -> None:
        change = ResourceChange(
            new.resource_type, new.resource_id, new.version, interaction, new.last_updated, patient
        )
        await self._on_change(conn, change)
