"""The authorization server's signing keys: create, rotate, sign, publish (JWKS).

One key signs at a time. Rotation creates a new key and retires the old one, which stays in
the JWKS until every token it signed has expired (``publish_until``), so resource servers that
cached the JWKS keep accepting live tokens. The key ring is also the kernel's *local key source*
when identity runs in the same process: verification needs no HTTP round trip.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey, import_key

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Database
from caremesh.modules.identity.adapters.grants_sql import GrantSql
from caremesh.modules.identity.adapters.keys_sql import SigningKeyRow, SigningKeySql
from caremesh.modules.identity.adapters.sealing import Sealer

SUPPORTED_ALGORITHMS = ("ES384", "RS384")


def generate_key(alg: str) -> Key:
    if alg == "ES384":
        return ECKey.generate_key("P-384", parameters={"alg": alg, "use": "sig"}, auto_kid=True)
    if alg == "RS384":
        return RSAKey.generate_key(3072, parameters={"alg": alg, "use": "sig"}, auto_kid=True)
    raise ValueError(f"unsupported signing algorithm {alg!r}; use one of {SUPPORTED_ALGORITHMS}")


class KeyRing:
    def __init__(
        self,
        db: Database,
        sealer: Sealer,
        *,
        issuer: str,
        audiences: frozenset[str],
        alg: str = "ES384",
        max_token_ttl: timedelta = timedelta(hours=1),
        clock: Clock = utcnow,
    ) -> None:
        if alg not in SUPPORTED_ALGORITHMS:
            raise ValueError(f"unsupported signing algorithm {alg!r}")
        self.db = db
        self.caremesh_issuer = True  # the kernel's KeySource: this server's "kind" claim is trusted
        self.issuer = issuer
        self.audiences = audiences
        self.alg = alg
        self._sealer = sealer
        self._store = SigningKeySql()
        self._max_token_ttl = max_token_ttl
        self._clock = clock
        self._signing: Key | None = None
        self._public: dict[str, Key] = {}
        self._jwks: dict[str, Any] = {"keys": []}
        self._revoked: dict[str, datetime] = {}
        self._lock = asyncio.Lock()

    # -- the kernel's KeySource protocol ---------------------------------------------------
    def key_for(self, kid: str | None) -> Key | None:
        return self._public.get(kid) if kid else None

    def is_revoked(self, jti: str | None) -> bool:
        return jti is not None and jti in self._revoked

    async def refresh(self) -> None:
        await self.load()

    # -- lifecycle --------------------------------------------------------------------------
    async def ready(self) -> None:
        """Load the keys once (creating the first key on a fresh database)."""
        if self._signing is None:
            await self.load()

    async def load(self) -> None:
        async with self._lock:
            now = self._clock()
            async with self.db.read() as conn:
                rows = await self._store.published(conn, now)
            if not any(row.retired_at is None for row in rows):
                await self._create(now, retire_old=False)
                async with self.db.read() as conn:
                    rows = await self._store.published(conn, now)
            self._install(rows)
            async with self.db.read() as conn:
                # Revoked tokens still alive: refused by in-process verification until they expire.
                self._revoked = await GrantSql().revoked_access(conn, now)

    async def rotate(self) -> str:
        """A new signing key; the previous one stays published until its tokens have expired."""
        async with self._lock:
            kid = await self._create(self._clock(), retire_old=True)
        await self.load()
        return kid

    async def _create(self, now: datetime, *, retire_old: bool) -> str:
        key = generate_key(self.alg)
        kid = str(key.kid)
        row = SigningKeyRow(
            kid=kid,
            alg=self.alg,
            public_jwk=json.dumps(key.as_dict(private=False)),
            private_jwk_sealed=self._sealer.seal(
                json.dumps(key.as_dict(private=True)).encode(), bound_to=kid
            ),
            created_at=now,
            retired_at=None,
            publish_until=None,
        )
        async with self.db.transaction() as conn:
            if retire_old:
                # Tokens live at most max_token_ttl; a minute more covers clock skew.
                await self._store.retire_active(conn, now, now + self._max_token_ttl + timedelta(minutes=1))
            await self._store.add(conn, row)
        return kid

    def _install(self, rows: list[SigningKeyRow]) -> None:
        active = next(row for row in rows if row.retired_at is None)
        private = json.loads(self._sealer.open(active.private_jwk_sealed, bound_to=active.kid))
        self._signing = import_key(private)
        self._public = {row.kid: import_key(json.loads(row.public_jwk)) for row in rows}
        self._jwks = {"keys": [json.loads(row.public_jwk) for row in rows]}

    # -- use ----------------------------------------------------------------------------------
    def jwks(self) -> dict[str, Any]:
        return self._jwks

    @property
    def active_kid(self) -> str:
        if self._signing is None:
            raise RuntimeError("the key ring is not loaded")
        return str(self._signing.kid)

    def sign(self, claims: dict[str, Any], *, typ: str = "JWT") -> str:
        if self._signing is None:
            raise RuntimeError("the key ring is not loaded")
        header = {"alg": self.alg, "kid": self._signing.kid, "typ": typ}
        return jwt.encode(header, claims, self._signing, algorithms=[self.alg])

    def mark_revoked(self, jti: str, expires_at: datetime) -> None:
        self._revoked[jti] = expires_at
        now = self._clock()
        for stale in [j for j, exp in self._revoked.items() if exp <= now]:
            del self._revoked[stale]
