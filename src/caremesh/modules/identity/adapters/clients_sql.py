"""Registered OAuth clients in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.db.base import Connection, Row


@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    name: str
    kind: str  # "app" (SMART app, user-facing), "backend" (Backend Services) or "service" (caremesh)
    auth_method: str  # "client_secret_basic", "private_key_jwt" or "none" (public app with PKCE)
    secret_hash: str | None
    jwks: str | None
    redirect_uris: tuple[str, ...]
    scope: str
    grant_types: tuple[str, ...]
    created_at: datetime
    disabled_at: datetime | None = None


_COLUMNS = (
    "client_id, name, kind, auth_method, secret_hash, jwks, redirect_uris, scope, grant_types, created_at, "
    "disabled_at"
)


def _record(row: Row) -> ClientRecord:
    return ClientRecord(
        client_id=row["client_id"],
        name=row["name"],
        kind=row["kind"],
        auth_method=row["auth_method"],
        secret_hash=row["secret_hash"],
        jwks=row["jwks"],
        redirect_uris=tuple(row["redirect_uris"].split()),
        scope=row["scope"],
        grant_types=tuple(row["grant_types"].split()),
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
    )


class ClientSql:
    async def add(self, conn: Connection, client: ClientRecord) -> None:
        await conn.execute(
            f"INSERT INTO identity_clients ({_COLUMNS}) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            client.client_id,
            client.name,
            client.kind,
            client.auth_method,
            client.secret_hash,
            client.jwks,
            " ".join(client.redirect_uris),
            client.scope,
            " ".join(client.grant_types),
            client.created_at,
            client.disabled_at,
        )

    async def get(self, conn: Connection, client_id: str) -> ClientRecord | None:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM identity_clients WHERE client_id = $1", client_id)
        return None if row is None else _record(row)

    async def by_name(self, conn: Connection, name: str) -> ClientRecord | None:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM identity_clients WHERE name = $1", name)
        return None if row is None else _record(row)

    async def all(self, conn: Connection) -> list[ClientRecord]:
        rows = await conn.fetch(f"SELECT {_COLUMNS} FROM identity_clients ORDER BY created_at, client_id")
        return [_record(row) for row in rows]
