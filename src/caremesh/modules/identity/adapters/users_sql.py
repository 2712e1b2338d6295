"""Users and their login sessions in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caremesh.kernel.db.base import Connection, Row


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    username: str
    role: str
    password_hash: str
    totp_secret_sealed: str | None
    totp_last_step: int | None
    patient_id: str | None
    fhir_user: str | None
    failed_attempts: int
    locked_until: datetime | None
    created_at: datetime
    disabled_at: datetime | None = None


_COLUMNS = (
    "user_id, username, role, password_hash, totp_secret_sealed, totp_last_step, patient_id, fhir_user, "
    "failed_attempts, locked_until, created_at, disabled_at"
)


def _record(row: Row) -> UserRecord:
    return UserRecord(**{name: row[name] for name in _COLUMNS.split(", ")})


class UserSql:
    async def add(self, conn: Connection, user: UserRecord) -> None:
        await conn.execute(
            f"INSERT INTO identity_users ({_COLUMNS}) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            user.user_id,
            user.username,
            user.role,
            user.password_hash,
            user.totp_secret_sealed,
            user.totp_last_step,
            user.patient_id,
            user.fhir_user,
            user.failed_attempts,
            user.locked_until,
            user.created_at,
            user.disabled_at,
        )

    async def get(self, conn: Connection, user_id: str) -> UserRecord | None:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM identity_users WHERE user_id = $1", user_id)
        return None if row is None else _record(row)

    async def by_username(self, conn: Connection, username: str) -> UserRecord | None:
        row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM identity_users WHERE username = $1", username)
        return None if row is None else _record(row)

    async def record_failure(
        self, conn: Connection, user_id: str, attempts: int, until: datetime | None
    ) -> None:
        await conn.execute(
            "UPDATE identity_users SET failed_attempts = $2, locked_until = $3 WHERE user_id = $1",
            user_id,
            attempts,
            until,
        )

    async def record_success(self, conn: Connection, user_id: str, totp_step: int | None) -> bool:
        """Reset the failure counter; with a one-time code, only if its time step is newer than the
        last one used (RFC 6238 §5.2: a code is accepted once). False when the code was replayed."""
        if totp_step is None:
            await conn.execute(
                "UPDATE identity_users SET failed_attempts = 0, locked_until = NULL WHERE user_id = $1",
                user_id,
            )
            return True
        changed = await conn.execute(
            "UPDATE identity_users SET failed_attempts = 0, locked_until = NULL, totp_last_step = $2 "
            "WHERE user_id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            user_id,
            totp_step,
        )
        return changed == 1

    async def add_session(
        self, conn: Connection, session_hash: str, user_id: str, now: datetime, expires_at: datetime
    ) -> None:
        await conn.execute(
            "INSERT INTO identity_sessions (session_hash, user_id, created_at, last_seen_at, expires_at) "
            "VALUES ($1, $2, $3, $3, $4)",
            session_hash,
            user_id,
            now,
            expires_at,
        )

    async def session(self, conn: Connection, session_hash: str) -> Row | None:
        return await conn.fetchrow(
            "SELECT user_id, last_seen_at, expires_at FROM identity_sessions "
            "WHERE session_hash = $1 AND ended_at IS NULL",
            session_hash,
        )

    async def touch_session(self, conn: Connection, session_hash: str, now: datetime) -> None:
        await conn.execute(
            "UPDATE identity_sessions SET last_seen_at = $2 WHERE session_hash = $1", session_hash, now
        )

    async def end_session(self, conn: Connection, session_hash: str, now: datetime) -> None:
        await conn.execute(
            "UPDATE identity_sessions SET ended_at = $2 WHERE session_hash = $1 AND ended_at IS NULL",
            session_hash,
            now,
        )
