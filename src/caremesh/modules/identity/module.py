"""Composition root of the identity module: the SMART on FHIR authorization server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import structlog

from caremesh.contracts.identity import IdentityAPI
from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.kernel.security.key_sources import register_key_source
from caremesh.kernel.security.tokens import shared_secret
from caremesh.modules.identity.adapters.sealing import Sealer
from caremesh.modules.identity.api.admin_routes import admin_router
from caremesh.modules.identity.api.authorize_routes import authorize_router
from caremesh.modules.identity.api.discovery_routes import discovery_router
from caremesh.modules.identity.api.oauth_routes import oauth_router
from caremesh.modules.identity.application.bridge import LoopBridge
from caremesh.modules.identity.application.clients import ClientService
from caremesh.modules.identity.application.demo import load_demo
from caremesh.modules.identity.application.facade import IdentityFacade
from caremesh.modules.identity.application.hashing import SecretVerifier
from caremesh.modules.identity.application.issuance import Minter
from caremesh.modules.identity.application.keys import KeyRing
from caremesh.modules.identity.application.server import ServerDeps, SmartAuthorizationServer
from caremesh.modules.identity.application.settings import load_settings
from caremesh.modules.identity.application.token_store import TokenStore
from caremesh.modules.identity.application.users import UserService
from caremesh.modules.identity.domain.sessions import SessionPolicy

NAME = "identity"
PURGE_INTERVAL_SECONDS = 600.0
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Identity:
    deps: ServerDeps
    server: SmartAuthorizationServer


def build(ctx: ModuleContext) -> Identity:
    settings = load_settings(ctx.config)
    sealer = Sealer(shared_secret())
    ring = KeyRing(
        ctx.db,
        sealer,
        issuer=settings.issuer,
        audiences=settings.audiences,
        alg=settings.signing_alg,
        max_token_ttl=settings.access_token_ttl,
    )
    tokens = TokenStore(ctx.db, ring)
    users = UserService(
        ctx.db, sealer, sessions=SessionPolicy(settings.session_absolute, settings.session_idle)
    )
    deps = ServerDeps(
        settings=settings,
        ring=ring,
        minter=Minter(ring, settings),
        tokens=tokens,
        clients=ClientService(ctx.db),
        users=users,
        verifier=SecretVerifier(),
        bridge=LoopBridge(),
    )
    return Identity(deps, SmartAuthorizationServer(deps))


def register(ctx: ModuleContext) -> None:
    identity = build(ctx)
    deps = identity.deps
    # Tokens this process issues are verified in-process, against the key ring itself.
    register_key_source(deps.ring)
    ctx.provide(IdentityAPI, IdentityFacade(deps.users))
    ctx.add_router(discovery_router(deps.settings, deps.ring))
    ctx.add_router(oauth_router(identity.server, deps))
    ctx.add_router(authorize_router(identity.server, deps))
    ctx.add_router(admin_router(deps.clients, deps.users, deps.ring))
    ctx.add_worker("purge", _purge_worker(deps.tokens))
    ctx.add_readiness_check("signing-key", deps.ring.ready)


def _purge_worker(tokens: TokenStore) -> Any:
    async def run() -> None:
        while True:
            await asyncio.sleep(PURGE_INTERVAL_SECONDS)
            try:
                purged = await tokens.purge_expired()
                log.info("expired grants purged", count=purged)
            except Exception as exc:
                log.warning("purge failed", error=type(exc).__name__)

    return run


async def demo(ctx: ModuleContext) -> dict[str, Any]:
    settings = load_settings(ctx.config)
    users = UserService(
        ctx.db,
        Sealer(shared_secret()),
        sessions=SessionPolicy(settings.session_absolute, settings.session_idle),
    )
    return await load_demo(users)


MODULE = ModuleDefinition(
    name=NAME,
    migrations="caremesh.modules.identity.adapters.migrations",
    register=register,
    demo=demo,
)
