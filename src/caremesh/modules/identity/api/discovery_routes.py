"""Discovery: SMART configuration, OpenID configuration and the JWKS."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from caremesh.modules.identity.application.client_auth import ASSERTION_ALGORITHMS
from caremesh.modules.identity.application.keys import KeyRing
from caremesh.modules.identity.application.settings import IdentitySettings

CAPABILITIES = [
    "launch-standalone",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "context-standalone-patient",
    "context-standalone-encounter",
    "permission-offline",
    "permission-online",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
    "sso-openid-connect",
    "authorize-post",
]
SCOPES = [
    "openid",
    "fhirUser",
    "launch/patient",
    "launch/encounter",
    "offline_access",
    "online_access",
    "patient/*.rs",
    "patient/*.cruds",
    "user/*.rs",
    "user/*.cruds",
    "system/*.rs",
    "system/*.cruds",
]


def smart_configuration(settings: IdentitySettings) -> dict[str, Any]:
    base = settings.issuer
    return {
        "issuer": base,
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "authorization_endpoint": settings.authorize_url,
        "token_endpoint": settings.token_url,
        "introspection_endpoint": f"{base}/identity/introspect",
        "revocation_endpoint": f"{base}/identity/revoke",
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "scopes_supported": SCOPES,
        "code_challenge_methods_supported": ["S256"],
        "capabilities": CAPABILITIES,
    }


def discovery_router(settings: IdentitySettings, ring: KeyRing) -> APIRouter:
    router = APIRouter(tags=["identity"])
    cached = {"Cache-Control": "public, max-age=300"}

    @router.get("/.well-known/smart-configuration")
    @router.get("/fhir/R4/.well-known/smart-configuration")
    async def smart() -> JSONResponse:
        return JSONResponse(smart_configuration(settings), headers=cached)

    @router.get("/.well-known/openid-configuration")
    async def openid() -> JSONResponse:
        body = smart_configuration(settings)
        body.update(
            {"subject_types_supported": ["public"], "id_token_signing_alg_values_supported": [ring.alg]}
        )
        return JSONResponse(body, headers=cached)

    @router.get("/.well-known/jwks.json")
    @router.get("/identity/jwks")
    async def jwks() -> JSONResponse:
        await ring.ready()
        # Short cache: after a rotation, verifiers see the new key within a minute.
        return JSONResponse(ring.jwks(), headers={"Cache-Control": "public, max-age=60"})

    return router
