"""Trusted token issuers and where their public keys come from.

The kernel verifies asymmetric access tokens against *key sources*, one per trusted issuer:

* the identity module registers a local source when it runs in this process (its keys come
  straight from its database, no HTTP);
* a remote source fetches an issuer's JWKS over HTTP (the identity module in another process,
  or an external OpenID Connect provider such as Keycloak) and refreshes it when a token names
  a ``kid`` it has not seen, at most once per ``min_refresh`` so a flood of forged kids cannot
  turn into a flood of JWKS requests.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Protocol

import httpx
import structlog
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

log = structlog.get_logger(__name__)

# SMART Backend Services names RS384 and ES384; the 256-bit variants are what most OIDC
# providers (Keycloak's default is RS256) sign with. "none" and HMAC are never accepted here.
ASYMMETRIC_ALGORITHMS = ("ES384", "RS384", "ES256", "RS256", "PS256", "PS384")


class KeySource(Protocol):
    issuer: str
    audiences: frozenset[str]
    # True only for caremesh's own authorization server: its "kind" claim may name a caremesh
    # service (admitted to internal RPC); claims of an external provider never can.
    caremesh_issuer: bool

    def key_for(self, kid: str | None) -> Key | None:
        """The public key with this id from what is cached (no I/O)."""
        ...

    def is_revoked(self, jti: str | None) -> bool: ...

    async def refresh(self) -> None:
        """Reload the keys (called when a token names an unknown kid)."""
        ...


_sources: dict[str, KeySource] = {}


def register_key_source(source: KeySource) -> None:
    """Trust tokens of ``source.issuer``; a later registration for the same issuer replaces it."""
    _sources[source.issuer] = source


def unregister_key_source(issuer: str) -> None:
    _sources.pop(issuer, None)


def key_source_for(issuer: str) -> KeySource | None:
    source = _sources.get(issuer)
    if source is None and issuer and issuer == os.environ.get("CAREMESH_OIDC_ISSUER"):
        source = _external_provider_from_environment(issuer)
    return source


def _external_provider_from_environment(issuer: str) -> KeySource | None:
    """An external OpenID provider configured by environment only (``CAREMESH_OIDC_ISSUER``,
    ``CAREMESH_OIDC_JWKS_URL``, optional ``CAREMESH_OIDC_AUDIENCE``) is trusted in every process,
    whether or not the process registered trust at startup."""
    jwks_url = os.environ.get("CAREMESH_OIDC_JWKS_URL")
    if not jwks_url:
        return None
    source = RemoteJwksSource(issuer, jwks_url, {os.environ.get("CAREMESH_OIDC_AUDIENCE") or "caremesh"})
    register_key_source(source)
    return source


def trusted_issuers() -> list[str]:
    return sorted(_sources)


class KeyCache:
    """Public keys by kid, replaced as a whole on refresh."""

    def __init__(self) -> None:
        self._keys: dict[str, Key] = {}

    def replace(self, jwks: dict[str, object]) -> None:
        key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        self._keys = {str(key.kid): key for key in key_set.keys if key.kid}

    def get(self, kid: str | None) -> Key | None:
        if kid is None:
            # Without a kid only an unambiguous single key is usable.
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    def __len__(self) -> int:
        return len(self._keys)


class RemoteJwksSource:
    """An issuer whose keys are published at a JWKS URL (another process, or an external IdP)."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str,
        audiences: frozenset[str] | set[str],
        *,
        caremesh_issuer: bool = False,
        min_refresh: float = 30.0,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.issuer = issuer
        self.jwks_url = jwks_url
        self.audiences = frozenset(audiences)
        self.caremesh_issuer = caremesh_issuer
        self._cache = KeyCache()
        self._min_refresh = min_refresh
        self._timeout = timeout
        self._transport = transport
        self._last_refresh = -float("inf")
        self._lock = asyncio.Lock()

    def key_for(self, kid: str | None) -> Key | None:
        return self._cache.get(kid)

    def is_revoked(self, jti: str | None) -> bool:
        return False  # a remote issuer's revocations show through short token lifetimes

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._last_refresh < self._min_refresh:
                return
            self._last_refresh = time.monotonic()
            try:
                async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport) as http:
                    response = await http.get(self.jwks_url)
                    response.raise_for_status()
                    self._cache.replace(response.json())
            except (httpx.HTTPError, ValueError, JoseError) as exc:
                # Keep the keys we had: a JWKS outage must not reject tokens signed by known keys.
                log.warning("jwks refresh failed", error=type(exc).__name__, keys=len(self._cache))
