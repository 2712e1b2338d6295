"""Signing keys in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.db.base import Connection


@dataclass(frozen=True)
class SigningKeyRow:
    kid: str
    alg: str
    public_jwk: str
    private_jwk_sealed: str
    created_at: datetime
    retired_at: datetime | None
    publish_until: datetime | None


_COLUMNS = "kid, alg, public_jwk, private_jwk_sealed, created_at, retired_at, publish_until"


class SigningKeySql:
    async def add(self, conn: Connection, row: SigningKeyRow) -> None:
        await conn.execute(
            f"INSERT INTO identity_signing_keys ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            row.kid,
            row.alg,
            row.public_jwk,
            row.private_jwk_sealed,
            row.created_at,
            row.retired_at,
            row.publish_until,
        )

    async def retire_active(self, conn: Connection, now: datetime, publish_until: datetime) -> int:
        return await conn.execute(
            "UPDATE identity_signing_keys SET retired_at = $1, publish_until = $2 WHERE retired_at IS NULL",
            now,
            publish_until,
        )

    async def published(self, conn: Connection, now: datetime) -> list[SigningKeyRow]:
        """The active key and the retired ones whose tokens may still be alive, newest first."""
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM identity_signing_keys "
            "WHERE retired_at IS NULL OR publish_until > $1 ORDER BY created_at DESC",
            now,
        )
        return [SigningKeyRow(**dict(row)) for row in rows]
