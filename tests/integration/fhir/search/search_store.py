"""A FHIR store for search tests: the real tables, resources written with their real index rows.

Index entries come from the indexing stream's ``Indexer`` and are written with the storage
stream's ``write_entries``; search only relies on the table layout they share.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from caremesh.fhir.definitions import Definitions, load
from caremesh.fhir.indexing.extract import Indexer
from caremesh.fhir.search.engine import SearchResult, search
from caremesh.fhir.storage.index_rows import write_entries
from caremesh.kernel.db import Database

BASE_URL = "http://fhir.test/fhir/R4"
DEFINITIONS: Definitions = load()
_INDEXER: Indexer | None = None


def indexer() -> Indexer:
    global _INDEXER
    if _INDEXER is None:
        _INDEXER = Indexer(DEFINITIONS, base_url=BASE_URL)
    return _INDEXER


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(
        self, resource: dict[str, Any], *, updated: str = "2024-01-01T00:00:00Z", deleted: bool = False
    ) -> None:
        """Write the current version of ``resource`` and its index rows.

        A deleted resource keeps its index rows here on purpose: search must exclude it by the
        ``deleted`` flag even if some row survived.
        """
        last_updated = datetime.fromisoformat(updated).astimezone(UTC)
        body = orjson.dumps({**resource, "meta": {**resource.get("meta", {}), "lastUpdated": updated}})
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO fhir_resource (res_type, res_id, version, last_updated, deleted, body) "
                "VALUES ($1, $2, 1, $3, $4, $5)",
                resource["resourceType"], resource["id"], last_updated, int(deleted), body,
            )  # fmt: skip
            await write_entries(conn, resource["resourceType"], resource["id"], indexer().entries(resource))

    async def put_all(self, resources: list[dict[str, Any]]) -> None:
        for resource in resources:
            await self.put(resource)

    async def search(
        self, resource_type: str | None, query: list[tuple[str, str]] | str, **kwargs: Any
    ) -> SearchResult:
        params = parse_qs(query) if isinstance(query, str) else query
        async with self.db.read() as conn:
            return await search(
                conn,
                definitions=DEFINITIONS,
                resource_type=resource_type,
                params=params,
                base_url=BASE_URL,
                **kwargs,
            )

    async def ids(
        self, resource_type: str | None, query: list[tuple[str, str]] | str, **kwargs: Any
    ) -> list[str]:
        result = await self.search(resource_type, query, **kwargs)
        return [m.res_id for m in result.matches]

    async def id_set(
        self, resource_type: str | None, query: list[tuple[str, str]] | str, **kwargs: Any
    ) -> set[str]:
        return set(await self.ids(resource_type, query, **kwargs))


def parse_qs(query: str) -> list[tuple[str, str]]:
    """``a=1&b=2`` as (name, value) pairs, without URL decoding (tests write values literally)."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs
