"""Who may do what: staff manage devices and see dead letters; devices and gateways post readings."""

from __future__ import annotations

from fastapi import Request

from caremesh.kernel.errors import Forbidden, Unauthorized
from caremesh.kernel.security.principal import Principal, require_principal

STAFF_ROLES = frozenset({"admin", "clinician", "nurse", "care-coordinator", "staff"})
MONITORING_SCOPE = "monitoring"
INGEST_SCOPE = "monitoring.ingest"


def is_staff(principal: Principal) -> bool:
    # SMART user-level scopes ("user/...") are granted to practitioners, never to patients.
    return (
        principal.kind == "service"
        or bool(STAFF_ROLES & set(principal.roles))
        or MONITORING_SCOPE in principal.scopes
        or any(scope.startswith("user/") for scope in principal.scopes)
    )


async def require_staff(request: Request) -> Principal:
    principal = await require_principal(request)
    if not is_staff(principal):
        raise Forbidden("monitoring requires a care-team role or the monitoring scope")
    return principal


def device_token(request: Request) -> str | None:
    """The token of ``Authorization: Device <token>``, or None for other schemes."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "device":
        return None
    if not token.strip():
        raise Unauthorized("a device token is required after 'Device'")
    return token.strip()


async def require_gateway(request: Request) -> Principal:
    """A gateway posts for the devices it names: a bearer token with the ingest scope."""
    principal = await require_principal(request)
    if principal.kind != "service" and INGEST_SCOPE not in principal.scopes:
        raise Forbidden(f"posting readings for other devices requires the {INGEST_SCOPE} scope")
    return principal
