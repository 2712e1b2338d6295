"""Authorization codes, refresh tokens, access token records and client assertion ids in SQL.

Single use is enforced by conditional updates (``... AND used_at IS NULL``): of two concurrent
redemptions of one code or refresh token exactly one changes the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caremesh.kernel.db.base import Connection, Row


@dataclass(frozen=True)
class CodeRecord:
    code_hash: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    patient_id: str | None
    encounter_id: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    family_id: str
    auth_time: datetime
    expires_at: datetime


@dataclass(frozen=True)
class RefreshRecord:
    token_hash: str
    family_id: str
    client_id: str
    user_id: str
    scope: str
    patient_id: str | None
    encounter_id: str | None
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class AccessRecord:
    jti: str
    family_id: str | None
    client_id: str
    subject: str
    scope: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class SeenAssertion:
    """A client assertion (private_key_jwt) whose jti must not be accepted again until it expires."""

    client_id: str
    jti: str
    expires_at: datetime


_CODE = ", ".join(CodeRecord.__dataclass_fields__)
_REFRESH = ", ".join(RefreshRecord.__dataclass_fields__)
_ACCESS = ", ".join(AccessRecord.__dataclass_fields__)


def _placeholders(count: int) -> str:
    return ", ".join(f"${i}" for i in range(1, count + 1))


def _values(record: object) -> list[object]:
    return [getattr(record, name) for name in record.__dataclass_fields__]  # type: ignore[attr-defined]


class GrantSql:
    async def add_code(self, conn: Connection, code: CodeRecord) -> None:
        await conn.execute(
            f"INSERT INTO identity_codes ({_CODE}) VALUES ({_placeholders(13)})", *_values(code)
        )

    async def consume_code(self, conn: Connection, code_hash: str, client_id: str, now: datetime) -> bool:
        changed = await conn.execute(
            "UPDATE identity_codes SET used_at = $3 "
            "WHERE code_hash = $1 AND client_id = $2 AND used_at IS NULL AND expires_at > $3",
            code_hash,
            client_id,
            now,
        )
        return changed == 1

    async def code(self, conn: Connection, code_hash: str) -> tuple[CodeRecord, datetime | None] | None:
        row = await conn.fetchrow(
            f"SELECT {_CODE}, used_at FROM identity_codes WHERE code_hash = $1", code_hash
        )
        if row is None:
            return None
        return CodeRecord(**{name: row[name] for name in CodeRecord.__dataclass_fields__}), row["used_at"]

    async def add_refresh(self, conn: Connection, token: RefreshRecord) -> None:
        await conn.execute(
            f"INSERT INTO identity_refresh_tokens ({_REFRESH}) VALUES ({_placeholders(11)})", *_values(token)
        )

    async def refresh_token(self, conn: Connection, token_hash: str) -> RefreshRecord | None:
        row = await conn.fetchrow(
            f"SELECT {_REFRESH} FROM identity_refresh_tokens WHERE token_hash = $1", token_hash
        )
        return None if row is None else RefreshRecord(*_fields(row, RefreshRecord))

    async def rotate_refresh(self, conn: Connection, token_hash: str, now: datetime) -> bool:
        changed = await conn.execute(
            "UPDATE identity_refresh_tokens SET rotated_at = $2 "
            "WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
            token_hash,
            now,
        )
        return changed == 1

    async def add_access(self, conn: Connection, token: AccessRecord) -> None:
        await conn.execute(
            f"INSERT INTO identity_access_tokens ({_ACCESS}) VALUES ({_placeholders(8)})", *_values(token)
        )

    async def access_token(self, conn: Connection, jti: str) -> AccessRecord | None:
        row = await conn.fetchrow(f"SELECT {_ACCESS} FROM identity_access_tokens WHERE jti = $1", jti)
        return None if row is None else AccessRecord(*_fields(row, AccessRecord))

    async def revoke_access(self, conn: Connection, jti: str, now: datetime) -> None:
        await conn.execute(
            "UPDATE identity_access_tokens SET revoked_at = $2 WHERE jti = $1 AND revoked_at IS NULL",
            jti,
            now,
        )

    async def revoke_family(self, conn: Connection, family_id: str, now: datetime) -> list[Row]:
        """Revoke every refresh and access token of a family; returns the access tokens (jti, exp)."""
        await conn.execute(
            "UPDATE identity_refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            family_id,
            now,
        )
        await conn.execute(
            "UPDATE identity_access_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
            family_id,
            now,
        )
        return await conn.fetch(
            "SELECT jti, expires_at FROM identity_access_tokens WHERE family_id = $1 AND expires_at > $2",
            family_id,
            now,
        )

    async def revoked_access(self, conn: Connection, now: datetime) -> dict[str, datetime]:
        rows = await conn.fetch(
            "SELECT jti, expires_at FROM identity_access_tokens "
            "WHERE revoked_at IS NOT NULL AND expires_at > $1",
            now,
        )
        return {row["jti"]: row["expires_at"] for row in rows}

    async def remember_assertion(
        self, conn: Connection, client_id: str, jti: str, expires_at: datetime
    ) -> bool:
        """Record a client assertion id; False when it was seen before (a replay)."""
        changed = await conn.execute(
            "INSERT INTO identity_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (client_id, jti) DO NOTHING",
            client_id,
            jti,
            expires_at,
        )
        return changed == 1

    async def purge_expired(self, conn: Connection, now: datetime) -> int:
        purged = 0
        for table in (
            "identity_codes",
            "identity_refresh_tokens",
            "identity_access_tokens",
            "identity_assertion_jtis",
            "identity_sessions",
        ):
            purged += await conn.execute(f"DELETE FROM {table} WHERE expires_at < $1", now)
        return purged


def _fields(row: Row, cls: Any) -> list[Any]:
    """The row's values in the order of the dataclass's fields (selected by the same names)."""
    return [row[name] for name in cls.__dataclass_fields__]
