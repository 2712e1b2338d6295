"""Admin API: register clients, create users, rotate signing keys (admin role required)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from caremesh.kernel.errors import Conflict, Forbidden, InvalidRequest
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.modules.identity.application.clients import ClientService, InvalidRegistration, Registration
from caremesh.modules.identity.application.keys import KeyRing
from caremesh.modules.identity.application.users import UserService
from caremesh.modules.identity.domain.errors import DuplicateName
from caremesh.modules.identity.domain.passwords import WeakPassword
from caremesh.modules.identity.domain.roles import ADMIN


class ClientIn(BaseModel):
    model_config = {"extra": "forbid"}
    name: str = Field(min_length=1, max_length=200)
    scope: str = Field(min_length=1, max_length=4000)
    kind: str = "backend"
    jwks: dict[str, Any] | None = None
    redirect_uris: list[str] = Field(default_factory=list, max_length=20)
    public: bool = False


class UserIn(BaseModel):
    model_config = {"extra": "forbid"}  # no mass assignment of lockout counters or hashes
    username: str = Field(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")
    password: str = Field(min_length=1, max_length=256)
    role: str
    patient_id: str | None = Field(default=None, max_length=64)
    fhir_user: str | None = Field(default=None, max_length=200)


async def require_admin(principal: Principal = Depends(require_principal)) -> Principal:
    if ADMIN not in principal.roles:
        raise Forbidden("the admin role is required")
    return principal


def admin_router(clients: ClientService, users: UserService, ring: KeyRing) -> APIRouter:
    router = APIRouter(prefix="/v1/identity", tags=["identity"], dependencies=[Depends(require_admin)])

    @router.post("/clients", status_code=201)
    async def create_client(body: ClientIn) -> JSONResponse:
        registration = Registration(
            body.name, body.scope, body.kind, body.jwks, tuple(body.redirect_uris), body.public
        )
        try:
            created = await clients.register(registration)
        except InvalidRegistration as exc:
            raise InvalidRequest(str(exc)) from exc
        return JSONResponse(
            {
                "client_id": created.client_id,
                "client_secret": created.client_secret,
                "token_endpoint_auth_method": created.auth_method,
                "scope": created.scope,
                "kind": created.kind,
            },
            status_code=201,
            headers={"Cache-Control": "no-store"},
        )

    @router.post("/users", status_code=201)
    async def create_user(body: UserIn) -> JSONResponse:
        try:
            created = await users.create(
                username=body.username,
                password=body.password,
                role=body.role,
                patient_id=body.patient_id,
                fhir_user=body.fhir_user,
            )
        except WeakPassword as exc:
            raise InvalidRequest(
                "the password does not meet the policy", details={"reasons": exc.reasons}
            ) from exc
        except DuplicateName as exc:
            raise Conflict(str(exc)) from exc
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc
        return JSONResponse(
            {
                "user_id": created.user_id,
                "username": created.username,
                "role": created.role,
                "totp_secret": created.totp_secret,
            },
            status_code=201,
            headers={"Cache-Control": "no-store"},
        )

    @router.post("/keys/rotate")
    async def rotate_keys() -> JSONResponse:
        await ring.ready()
        kid = await ring.rotate()
        return JSONResponse({"active_kid": kid, "published": [key["kid"] for key in ring.jwks()["keys"]]})

    return router
