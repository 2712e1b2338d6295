"""The kernel verifier refuses forged, misdirected and expired tokens, and trusts external issuers
only through their JWKS."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from identity_harness import FHIR_BASE, ISSUER, IdentityApp
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from caremesh.kernel.errors import Unauthorized
from caremesh.kernel.security.key_sources import (
    RemoteJwksSource,
    key_source_for,
    register_key_source,
    unregister_key_source,
)
from caremesh.kernel.security.tokens import verify_token_async


@pytest.fixture
async def ring(identity: IdentityApp) -> Any:
    ring = key_source_for(ISSUER)
    assert ring is not None
    await ring.ready()  # type: ignore[attr-defined]
    return ring


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": [FHIR_BASE, "caremesh"], "sub": "u-1", "client_id": "c-1",
              "scope": "user/*.rs", "jti": f"j-{now}", "iat": now, "exp": now + 300,
              "kind": "user"}  # fmt: skip
    return claims | overrides


async def _status(identity: IdentityApp, token: str) -> int:
    response = await identity.http.get("/v1/schedules", headers={"authorization": f"Bearer {token}"})
    return response.status_code


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_a_token_signed_by_the_ring_is_accepted(identity: IdentityApp, ring: Any) -> None:
    assert await _status(identity, ring.sign(_claims())) == 200


async def test_alg_none_is_rejected(identity: IdentityApp, ring: Any) -> None:
    unsigned = f"{_b64({'alg': 'none', 'kid': ring.active_kid})}.{_b64(_claims())}."
    assert await _status(identity, unsigned) == 401


async def test_a_token_signed_with_another_key_under_the_real_kid_is_rejected(
    identity: IdentityApp, ring: Any
) -> None:
    impostor = ECKey.generate_key("P-384", private=True)
    forged = jwt.encode({"alg": "ES384", "kid": ring.active_kid}, _claims(), impostor, algorithms=["ES384"])
    assert await _status(identity, forged) == 401


async def test_hmac_signed_with_the_public_key_is_rejected(identity: IdentityApp, ring: Any) -> None:
    import hashlib
    import hmac

    public = json.dumps(ring.jwks()["keys"][0]).encode()
    head_body = f"{_b64({'alg': 'HS256', 'kid': ring.active_kid})}.{_b64(_claims())}"
    signature = base64.urlsafe_b64encode(hmac.new(public, head_body.encode(), hashlib.sha256).digest())
    assert await _status(identity, f"{head_body}.{signature.rstrip(b'=').decode()}") == 401


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://other.example/fhir"},
        {"exp": int(time.time()) - 300, "iat": int(time.time()) - 900},
        {"iss": "https://not-trusted.example"},
    ],
    ids=["wrong-audience", "expired", "wrong-issuer"],
)
async def test_misdirected_or_expired_tokens_are_rejected(
    identity: IdentityApp, ring: Any, overrides: dict[str, Any]
) -> None:
    assert await _status(identity, ring.sign(_claims(**overrides))) == 401


async def test_an_unknown_kid_is_rejected(identity: IdentityApp, ring: Any) -> None:
    token = ring.sign(_claims())
    _, rest = token.split(".", 1)
    tampered = f"{_b64({'alg': 'ES384', 'kid': 'no-such-key', 'typ': 'at+jwt'})}.{rest}"
    assert await _status(identity, tampered) == 401


class FakeProvider:
    """An external OpenID provider (Keycloak-like: RS256, roles and client in its own claims)."""

    issuer = "https://idp.example/realms/caremesh"

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True, private=True)
        self.fetches = 0
        app = Starlette(routes=[Route("/certs", self.certs)])
        self.transport = httpx.ASGITransport(app=app)

    async def certs(self, request: Any) -> JSONResponse:
        self.fetches += 1
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    def token(self, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": "caremesh", "sub": "kc-user-1", "azp": "portal", "exp": now + 60,
                  "iat": now, "scope": "openid patient/*.rs"} | overrides  # fmt: skip
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key, algorithms=["RS256"])


async def test_an_external_provider_is_trusted_through_its_jwks() -> None:
    provider = FakeProvider()
    source = RemoteJwksSource(provider.issuer, "http://idp/certs", {"caremesh"}, transport=provider.transport)
    register_key_source(source)
    try:
        claims = await verify_token_async(provider.token())
        assert claims.subject == "kc-user-1" and claims.client_id == "portal" and claims.kind == "user"
        assert provider.fetches == 1
        await verify_token_async(provider.token())
        assert provider.fetches == 1  # cached
        with pytest.raises(Unauthorized):
            await verify_token_async(provider.token(aud="someone-else"))
        # The provider rotates: an unknown kid triggers one refresh (rate-limited afterwards).
        source._last_refresh = 0.0 - 3600
        provider.key = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True, private=True)
        assert (await verify_token_async(provider.token())).subject == "kc-user-1"
        assert provider.fetches == 2
        provider.key = RSAKey.generate_key(2048, parameters={"alg": "RS256"}, auto_kid=True, private=True)
        with pytest.raises(Unauthorized):
            await verify_token_async(provider.token())
        assert provider.fetches == 2  # a burst of unknown kids cannot hammer the provider
    finally:
        unregister_key_source(provider.issuer)


async def test_an_external_provider_cannot_mint_caremesh_service_tokens() -> None:
    provider = FakeProvider()
    source = RemoteJwksSource(provider.issuer, "http://idp/certs", {"caremesh"}, transport=provider.transport)
    register_key_source(source)
    try:
        claims = await verify_token_async(provider.token(kind="service", sub="portal"))
        assert claims.kind == "client"
    finally:
        unregister_key_source(provider.issuer)
