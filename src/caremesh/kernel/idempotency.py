"""Idempotency keys (draft-ietf-httpapi-idempotency-key-header) as a kernel service.

* same key, same request  -> the stored response is replayed (``Idempotent-Replayed: true``);
* same key, other request -> 422; same key while the first is still in flight -> 409;
* key missing where required -> 400.

Keys are scoped per client and kept at least 24 hours. The in-flight marker commits on its own so
that concurrent retries see it; the final response commits in the same transaction as the effect,
so a stored response exists exactly when the effect does. If the operation fails, the marker is
removed and the client may retry; if the process dies mid-flight, the marker's lock expires.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Connection, Database, Row
from caremesh.kernel.errors import Conflict, InvalidRequest, Unprocessable

HEADER = "Idempotency-Key"
_SELECT = (
    "SELECT fingerprint, state, response_status, response_headers, response_body, locked_until, "
    "expires_at FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2"
)
_KEY = re.compile(r'^"?([\x21\x23-\x7e]{1,255})"?$')


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> StoredResponse:
        merged = {"content-type": "application/json", **(headers or {})}
        return cls(status=status, body=orjson.dumps(payload), headers=merged)


Operation = Callable[[Connection], Awaitable[StoredResponse]]


def parse_key(raw: str | None, *, required: bool) -> str | None:
    if raw is None or raw == "":
        if required:
            raise InvalidRequest(f"the {HEADER} header is required for this request")
        return None
    match = _KEY.match(raw.strip())
    if not match:
        raise InvalidRequest(f"the {HEADER} header must be 1-255 visible ASCII characters")
    return match[1]


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Outcome:
    response: StoredResponse
    replayed: bool


class IdempotencyService:
    def __init__(
        self,
        db: Database,
        *,
        retention: timedelta = timedelta(hours=24),
        lock_timeout: timedelta = timedelta(seconds=60),
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.retention = retention
        self.lock_timeout = lock_timeout
        self.clock = clock

    async def execute(self, *, client_id: str, key: str, fingerprint: str, operation: Operation) -> Outcome:
        stored = await self._reserve(client_id, key, fingerprint)
        if stored is not None:
            return Outcome(stored, replayed=True)
        try:
            async with self.db.transaction() as conn:
                response = await operation(conn)
                await self._complete(conn, client_id, key, response)
        except BaseException:
            await self._release(client_id, key)
            raise
        return Outcome(response, replayed=False)

    async def _reserve(self, client_id: str, key: str, print_: str) -> StoredResponse | None:
        """Claim the key, or return the stored response to replay; raise 409/422 as the draft says.

        Replays and in-flight conflicts are answered from a read connection first: on SQLite the
        single writer may be busy with the very request being retried, and waiting for it would
        turn a quick 409 into a stall.
        """
        async with self.db.read() as conn:
            row = await conn.fetchrow(_SELECT, client_id, key)
        if row is not None:
            decided = self._decide(row, print_)
            if decided is not None:
                return decided
        async with self.db.transaction() as conn:
            row = await conn.fetchrow(_SELECT, client_id, key)
            if row is not None:
                decided = self._decide(row, print_)
                if decided is not None:
                    return decided
                await conn.execute(
                    "DELETE FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2", client_id, key
                )
            now = self.clock()
            claimed = await conn.execute(
                "INSERT INTO idempotency_keys (client_id, idem_key, fingerprint, state, locked_until, "
                "created_at, expires_at) VALUES ($1, $2, $3, 'in_flight', $4, $5, $6) "
                "ON CONFLICT (client_id, idem_key) DO NOTHING",
                client_id,
                key,
                print_,
                now + self.lock_timeout,
                now,
                now + self.retention,
            )
        if not claimed:
            # A concurrent request with the same key committed its claim between our read and insert.
            raise Conflict(f"a request with this {HEADER} is still being processed; retry later")
        return None

    def _decide(self, row: Row, print_: str) -> StoredResponse | None:
        """Answer from an existing record; None means the key is free to (re)claim."""
        now = self.clock()
        if row["expires_at"] <= now:
            return None
        if row["fingerprint"] != print_:
            raise Unprocessable(f"this {HEADER} was already used for a different request")
        if row["state"] == "completed":
            return StoredResponse(
                status=int(row["response_status"]),
                body=bytes(row["response_body"]),
                headers=orjson.loads(row["response_headers"]),
            )
        if row["locked_until"] > now:
            raise Conflict(f"a request with this {HEADER} is still being processed; retry later")
        return None  # the first attempt died without finishing: this request takes the key over

    async def _complete(self, conn: Connection, client_id: str, key: str, response: StoredResponse) -> None:
        await conn.execute(
            "UPDATE idempotency_keys SET state = 'completed', response_status = $3, "
            "response_headers = $4, response_body = $5 WHERE client_id = $1 AND idem_key = $2",
            client_id,
            key,
            response.status,
            orjson.dumps(response.headers).decode(),
            response.body,
        )

    async def _release(self, client_id: str, key: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM idempotency_keys WHERE client_id = $1 AND idem_key = $2 AND state = 'in_flight'",
                client_id,
                key,
            )

    async def purge_expired(self) -> int:
        async with self.db.transaction() as conn:
            return await conn.execute("DELETE FROM idempotency_keys WHERE expires_at <= $1", self.clock())
