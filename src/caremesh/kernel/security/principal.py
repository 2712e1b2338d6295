"""Who is calling: resolved from the bearer token once per request, used for scoping and audit."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from caremesh.kernel.errors import Forbidden, Unauthorized
from caremesh.kernel.security.tokens import verify_token_async


@dataclass(frozen=True)
class Principal:
    subject: str
    client_id: str
    kind: str  # "user", "client" (an app or backend client) or "service" (a caremesh process)
    scopes: tuple[str, ...]
    # SMART launch context and identity, from the token's claims when present.
    roles: tuple[str, ...] = ()  # e.g. "clinician", "nurse", "pharmacist", "patient", "admin"
    patient: str | None = None  # launch/patient context, or the Patient a patient user is
    encounter: str | None = None
    fhir_user: str | None = None  # e.g. "Practitioner/123" or "Patient/456"
    token_id: str | None = None  # the token's jti (for audit and revocation)

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
    claims = await verify_token_async(_bearer(request))
    raw = claims.raw
    principal = Principal(
        claims.subject,
        claims.client_id,
        claims.kind,
        claims.scopes,
        roles=tuple(str(role) for role in raw.get("roles", ()) or ()),
        patient=_optional(raw.get("patient")),
        encounter=_optional(raw.get("encounter")),
        fhir_user=_optional(raw.get("fhirUser")),
        token_id=_optional(raw.get("jti")),
    )
    request.state.principal = principal
    return principal


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


async def require_service(request: Request) -> Principal:
    principal = await require_principal(request)
    principal.require_service()
    return principal
