"""Who is calling: resolved from the bearer token once per request, used for scoping and audit."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from caremesh.kernel.errors import Forbidden, Unauthorized
from caremesh.kernel.security.tokens import verify_token


@dataclass(frozen=True)
class Principal:
    subject: str
    client_id: str
    kind: str
    scopes: tuple[str, ...]

    def require_service(self) -> None:
        if self.kind != "service":
            raise Forbidden("this endpoint is reserved for caremesh services")


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("a bearer access token is required")
    return token.strip()


async def require_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller, or 401."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    claims = verify_token(_bearer(request))
    principal = Principal(claims.subject, claims.client_id, claims.kind, claims.scopes)
    request.state.principal = principal
    return principal


async def require_service(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_service()
    return principal
