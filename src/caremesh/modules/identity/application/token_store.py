"""Storage side of the token endpoint: codes, refresh token families, access token records.

Families: every token issued from one authorization code (and the refresh tokens rotated from
it) shares a family id. Presenting a code or refresh token a second time means it leaked, so the
whole family is revoked (RFC 6749 §4.1.2, OAuth 2.0 Security BCP §4.14).
"""

from __future__ import annotations

from datetime import datetime

import structlog

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Connection, Database
from caremesh.modules.identity.adapters.grants_sql import (
    AccessRecord,
    CodeRecord,
    GrantSql,
    RefreshRecord,
    SeenAssertion,
)
from caremesh.modules.identity.application.hashing import digest
from caremesh.modules.identity.application.keys import KeyRing

log = structlog.get_logger(__name__)


class _RefreshReused(Exception):
    pass


class TokenStore:
    def __init__(self, db: Database, ring: KeyRing, *, clock: Clock = utcnow) -> None:
        self.db = db
        self._sql = GrantSql()
        self._ring = ring
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    async def save_code(self, code: CodeRecord) -> None:
        async with self.db.transaction() as conn:
            await self._sql.add_code(conn, code)

    async def redeem_code(self, code: str, client_id: str) -> CodeRecord | None:
        """The code's record, consumed; a second redemption revokes what the first one got."""
        key, now = digest(code), self._clock()
        async with self.db.transaction() as conn:
            if await self._sql.consume_code(conn, key, client_id, now):
                found = await self._sql.code(conn, key)
                return None if found is None else found[0]
            found = await self._sql.code(conn, key)
            if found is not None and found[1] is not None:
                log.warning("authorization code reused; revoking its tokens", client_id=client_id)
                await self._revoke_family(conn, found[0].family_id, now)
        return None

    async def refresh_record(self, token: str) -> RefreshRecord | None:
        """A usable refresh token's record; a rotated one presented again revokes its family."""
        now = self._clock()
        async with self.db.transaction() as conn:
            record = await self._sql.refresh_token(conn, digest(token))
            if record is None or record.revoked_at is not None or record.expires_at <= now:
                return None
            if record.rotated_at is not None:
                log.warning("refresh token reused; revoking its family", client_id=record.client_id)
                await self._revoke_family(conn, record.family_id, now)
                return None
        return record

    async def persist(
        self,
        access: AccessRecord,
        refresh: RefreshRecord | None,
        rotated_hash: str | None,
        assertion: SeenAssertion | None = None,
    ) -> str | None:
        """Store what the token endpoint issues, with the client assertion's jti, in one transaction.
        Returns why nothing was stored: "assertion-replayed", or "refresh-reused" when the refresh
        token being rotated was used concurrently; None when stored."""
        try:
            async with self.db.transaction() as conn:
                if assertion is not None and not await self._sql.remember_assertion(
                    conn, assertion.client_id, assertion.jti, assertion.expires_at
                ):
                    return "assertion-replayed"
                if rotated_hash is not None and not await self._sql.rotate_refresh(
                    conn, rotated_hash, access.issued_at
                ):
                    raise _RefreshReused()  # undoes the assertion's row too
                await self._sql.add_access(conn, access)
                if refresh is not None:
                    await self._sql.add_refresh(conn, refresh)
        except _RefreshReused:
            return "refresh-reused"
        return None

    async def access_record(self, jti: str) -> AccessRecord | None:
        async with self.db.read() as conn:
            return await self._sql.access_token(conn, jti)

    async def refresh_by_value(self, token: str) -> RefreshRecord | None:
        async with self.db.read() as conn:
            return await self._sql.refresh_token(conn, digest(token))

    async def revoke_family(self, family_id: str) -> None:
        async with self.db.transaction() as conn:
            await self._revoke_family(conn, family_id, self._clock())

    async def revoke_access(self, jti: str, expires_at: datetime) -> None:
        async with self.db.transaction() as conn:
            await self._sql.revoke_access(conn, jti, self._clock())
        self._ring.mark_revoked(jti, expires_at)

    async def _revoke_family(self, conn: Connection, family_id: str, now: datetime) -> None:
        rows = await self._sql.revoke_family(conn, family_id, now)
        revoked = [(row["jti"], row["expires_at"]) for row in rows]

        def publish() -> None:
            for jti, expires_at in revoked:
                self._ring.mark_revoked(jti, expires_at)

        conn.on_commit(publish)

    async def remember_assertion(self, assertion: SeenAssertion) -> bool:
        async with self.db.transaction() as conn:
            return await self._sql.remember_assertion(
                conn, assertion.client_id, assertion.jti, assertion.expires_at
            )

    async def purge_expired(self) -> int:
        async with self.db.transaction() as conn:
            return await self._sql.purge_expired(conn, self._clock())
