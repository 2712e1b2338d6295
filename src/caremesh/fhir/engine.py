"""The FHIR engine a module mounts: the REST interactions on its own database.

Every write is one transaction on the host module's database: current version, history, index
rows and the host's change event commit together. Reads return stored bytes untouched.

Each method here opens its own transaction. Work that must share one (a transaction Bundle)
uses the same parts inside its own ``db.transaction()``: ``intake`` (parse and validate a
body), ``matcher`` (conditional criteria) and ``writer`` (``put``/``delete`` on a connection).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from caremesh.fhir.changes import ChangeListener, ignore_change
from caremesh.fhir.conditional import Matcher, conditional_target, conditional_update
from caremesh.fhir.definitions import Definitions, load
from caremesh.fhir.ids import require_id
from caremesh.fhir.incoming import Intake, ResourceValidator
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.outcome import FhirError
from caremesh.fhir.patch import apply_patch
from caremesh.fhir.search.engine import SearchResult, search
from caremesh.fhir.storage import resources
from caremesh.fhir.storage.history import HistoryPage, HistoryQuery, history_page
from caremesh.fhir.storage.reindex import reindex
from caremesh.fhir.storage.resources import StoredVersion
from caremesh.fhir.validation.validator import Validator
from caremesh.fhir.writes import Contention, ResourceIndexer, Writer, Written, stale_version
from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Connection, Database
from caremesh.kernel.ids import new_id

T = TypeVar("T")
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
_ATTEMPTS = 5  # a write losing a race re-reads and retries; five losses in a row is a 409


class FhirEngine:
    def __init__(
        self,
        db: Database,
        *,
        definitions: Definitions | None = None,
        on_change: ChangeListener = ignore_change,
        resource_types: frozenset[str] | None = None,
        base_url: str | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        validator: ResourceValidator | None = None,
        indexer: ResourceIndexer | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.definitions = definitions or load()
        self.resource_types = resource_types or self.definitions.resource_types
        self.base_url = base_url
        self.max_body_bytes = max_body_bytes
        self.validator = validator or _default_validator(self.definitions)
        self.intake = Intake(self.validator)
        self.indexer = indexer or _default_indexer(self.definitions, base_url)
        self.writer = Writer(self.definitions, self.indexer, on_change, clock)
        self.matcher = Matcher(self.definitions)

    def require_type(self, resource_type: str) -> str:
        if resource_type not in self.resource_types:
            raise FhirError.single(
                404, "not-supported", f"resource type {resource_type[:80]!r} is not served here"
            )
        return resource_type

    async def _transact(self, work: Callable[[Connection], Awaitable[T]]) -> T:
        for _ in range(_ATTEMPTS):
            try:
                async with self.db.transaction() as conn:
                    return await work(conn)
            except Contention:
                continue
        raise FhirError.single(409, "conflict", "the resource is being changed concurrently; retry")

    # -- reads -------------------------------------------------------------------------------

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion:
        async with self.db.read() as conn:
            stored = await resources.current(conn, resource_type, resource_id)
        return _present(stored, f"{resource_type}/{resource_id}")

    async def vread(self, resource_type: str, resource_id: str, version: int) -> StoredVersion:
        async with self.db.read() as conn:
            stored = await resources.version(conn, resource_type, resource_id, version)
        return _present(stored, f"{resource_type}/{resource_id}/_history/{version}")

    async def history(self, query: HistoryQuery) -> HistoryPage:
        async with self.db.read() as conn:
            return await history_page(conn, query)

    # -- writes ------------------------------------------------------------------------------

    async def create(self, resource_type: str, body: bytes, *, if_none_exist: str | None = None) -> Written:
        incoming = self.intake.for_create(body, resource_type)

        async def work(conn: Connection) -> Written:
            if if_none_exist is not None:
                match = await self.matcher.single(conn, resource_type, if_none_exist, "If-None-Exist")
                if match is not None:
                    return Written(match, created=False, existing=True)
            return await self.writer.put(conn, incoming, new_id(), method="POST", if_match=None, fresh=True)

        return await self._transact(work)

    async def update(
        self, resource_type: str, resource_id: str, body: bytes, *, if_match: int | None = None
    ) -> Written:
        incoming = self.intake.for_update(body, resource_type, resource_id)
        return await self._transact(
            lambda conn: self.writer.put(conn, incoming, resource_id, method="PUT", if_match=if_match)
        )

    async def patch(
        self, resource_type: str, resource_id: str, patch: bytes, *, if_match: int | None = None
    ) -> Written:
        require_id(resource_id, "id")
        return await self._transact(
            lambda conn: self._patch(conn, resource_type, resource_id, patch, if_match)
        )

    async def _patch(
        self, conn: Connection, resource_type: str, resource_id: str, patch: bytes, if_match: int | None
    ) -> Written:
        stored = _present(
            await resources.current(conn, resource_type, resource_id, lock=True),
            f"{resource_type}/{resource_id}",
        )
        assert stored.body is not None
        if if_match is not None and stored.version != if_match:
            raise stale_version(if_match, stored)
        incoming = self.intake.for_update(apply_patch(stored.body, patch), resource_type, resource_id)
        return await self.writer.put(
            conn, incoming, resource_id, method="PATCH", if_match=if_match, based_on=stored.version
        )

    async def delete(
        self, resource_type: str, resource_id: str, *, if_match: int | None = None
    ) -> StoredVersion | None:
        require_id(resource_id, "id")
        return await self._transact(
            lambda conn: self.writer.delete(conn, resource_type, resource_id, if_match=if_match)
        )

    # -- conditional writes (criteria instead of an id) -------------------------------------

    async def conditional_update(
        self, resource_type: str, query: str, body: bytes, *, if_match: int | None = None
    ) -> Written:
        incoming = self.intake.for_conditional_update(body, resource_type)
        return await self._transact(
            lambda conn: conditional_update(conn, self.matcher, self.writer, incoming, query, if_match)
        )

    async def conditional_patch(
        self, resource_type: str, query: str, patch: bytes, *, if_match: int | None = None
    ) -> Written:
        async def work(conn: Connection) -> Written:
            target = await conditional_target(conn, self.matcher, resource_type, query, "conditional patch")
            if target is None:
                raise FhirError.single(404, "not-found", f"conditional patch: no {resource_type} matches")
            return await self._patch(conn, resource_type, target, patch, if_match)

        return await self._transact(work)

    async def conditional_delete(self, resource_type: str, query: str) -> StoredVersion | None:
        async def work(conn: Connection) -> StoredVersion | None:
            target = await conditional_target(conn, self.matcher, resource_type, query, "conditional delete")
            if target is None:
                return None
            return await self.writer.delete(conn, resource_type, target, if_match=None)

        return await self._transact(work)

    async def reindex(self, resource_types: list[str] | None = None) -> int:
        """Rebuild the index rows of every current resource (after the index gained columns)."""
        return await reindex(self.db, self.indexer, resource_types=resource_types)

    # -- search ------------------------------------------------------------------------------

    async def search(
        self,
        resource_type: str | None,
        params: list[tuple[str, str]],
        *,
        base_url: str,
        handling: str = "lenient",
        compartment: tuple[str, str] | None = None,
    ) -> SearchResult:
        async with self.db.read() as conn:
            return await search(
                conn,
                definitions=self.definitions,
                resource_type=resource_type,
                params=params,
                base_url=base_url,
                handling=handling,
                compartment=compartment,
            )


def _present(stored: StoredVersion | None, reference: str) -> StoredVersion:
    if stored is None:
        raise FhirError.single(404, "not-found", f"{reference[:160]} is not known")
    if stored.deleted:
        raise FhirError.single(410, "deleted", f"{reference[:160]} has been deleted")
    return stored


# Building a validator or an indexer compiles every schema and FHIRPath expression (~0.1 s each):
# engines of one process over the same definitions share them (both are read-only once built).
_shared: dict[tuple[str, int, str | None], tuple[Definitions, object]] = {}


def _default_validator(definitions: Definitions) -> ResourceValidator:
    return cast(ResourceValidator, _share("validator", definitions, None, lambda: Validator(definitions)))


def _default_indexer(definitions: Definitions, base_url: str | None) -> ResourceIndexer:
    built = _share("indexer", definitions, base_url, lambda: Indexer(definitions, base_url=base_url))
    return cast(ResourceIndexer, built)


def _share(kind: str, definitions: Definitions, base_url: str | None, build: Callable[[], object]) -> object:
    key = (kind, id(definitions), base_url)
    hit = _shared.get(key)
    if hit is None or hit[0] is not definitions:
        hit = _shared[key] = (definitions, build())
    return hit[1]
