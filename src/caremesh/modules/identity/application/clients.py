"""Client registration: SMART apps, Backend Services clients and caremesh services."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from caremesh.kernel.clock import Clock, utcnow
from caremesh.kernel.db.base import Database
from caremesh.kernel.ids import new_id
from caremesh.kernel.security.smart_scopes import split_scopes
from caremesh.modules.identity.adapters.clients_sql import ClientRecord, ClientSql
from caremesh.modules.identity.application.hashing import hash_secret, new_secret

KINDS = ("app", "backend", "service")
USER_GRANTS = ("authorization_code", "refresh_token")


class InvalidRegistration(ValueError):
    pass


@dataclass(frozen=True)
class Registration:
    name: str
    scope: str
    kind: str = "backend"
    jwks: dict[str, Any] | None = None
    redirect_uris: tuple[str, ...] = ()
    public: bool = False  # a SMART app that cannot keep a secret (PKCE only)


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    client_secret: str | None  # shown once
    auth_method: str
    scope: str
    kind: str


def _validated_jwks(jwks: dict[str, Any]) -> str:
    try:
        key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidRegistration("the JWKS is not a valid JSON Web Key Set") from exc
    if any(key.is_private for key in key_set.keys):
        raise InvalidRegistration("register public keys only: the JWKS holds a private key")
    if not key_set.keys:
        raise InvalidRegistration("the JWKS holds no key")
    return json.dumps(jwks)


def _grant_types(registration: Registration) -> tuple[str, ...]:
    if registration.kind == "app":
        return USER_GRANTS
    return ("client_credentials",)


def _auth_method(registration: Registration) -> str:
    if registration.public:
        if registration.kind != "app":
            raise InvalidRegistration("only user-facing apps can be public clients")
        return "none"
    return "private_key_jwt" if registration.jwks is not None else "client_secret_basic"


def _check(registration: Registration) -> None:
    if registration.kind not in KINDS:
        raise InvalidRegistration(f"kind must be one of {', '.join(KINDS)}")
    if not registration.name.strip():
        raise InvalidRegistration("a client needs a name")
    if not split_scopes(registration.scope):
        raise InvalidRegistration("a client needs at least one scope")
    if registration.kind == "app" and not registration.redirect_uris:
        raise InvalidRegistration("an app needs at least one redirect URI")


class ClientService:
    def __init__(self, db: Database, *, clock: Clock = utcnow) -> None:
        self.db = db
        self._store = ClientSql()
        self._clock = clock

    async def register(self, registration: Registration) -> RegisteredClient:
        _check(registration)
        method = _auth_method(registration)
        secret = new_secret() if method == "client_secret_basic" else None
        secret_hash = None if secret is None else await asyncio.to_thread(hash_secret, secret)
        record = ClientRecord(
            client_id=new_id(),
            name=registration.name.strip(),
            kind=registration.kind,
            auth_method=method,
            secret_hash=secret_hash,
            jwks=None if registration.jwks is None else _validated_jwks(registration.jwks),
            redirect_uris=registration.redirect_uris,
            scope=" ".join(split_scopes(registration.scope)),
            grant_types=_grant_types(registration),
            created_at=self._clock(),
        )
        async with self.db.transaction() as conn:
            await self._store.add(conn, record)
        return RegisteredClient(record.client_id, secret, method, record.scope, record.kind)

    async def get(self, client_id: str) -> ClientRecord | None:
        async with self.db.read() as conn:
            record = await self._store.get(conn, client_id)
        return None if record is None or record.disabled_at else record

    async def by_name(self, name: str) -> ClientRecord | None:
        async with self.db.read() as conn:
            return await self._store.by_name(conn, name)
