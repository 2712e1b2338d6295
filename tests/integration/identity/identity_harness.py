"""Drives the identity module over HTTP like a SMART app, a backend client and a browser would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pyotp
from joserfc import jwt
from joserfc.jwk import ECKey

from caremesh.bootstrap import Runtime
from caremesh.kernel.topology import parse
from caremesh.modules.identity.application.clients import ClientService, Registration
from caremesh.modules.identity.application.server import ServerDeps

ISSUER = "http://localhost:8000"
FHIR_BASE = f"{ISSUER}/fhir/R4"
REDIRECT = "http://localhost:9000/callback"
PASSWORD = "Synthetic-Correct-Horse-77"
TOKEN_PATH = "/identity/token"


def topology_for(database_url: str, *, modules: tuple[str, ...] = ("identity",)) -> Any:
    return parse(
        {
            "name": "identity-test",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": list(modules)}},
            "modules": {"identity": {"issuer": ISSUER, "fhir_base_url": FHIR_BASE}},
        }
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Staff:
    username: str
    totp: str | None
    logged_in: bool = False

    def otp(self, at: datetime | None = None) -> str:
        if not self.totp:
            return ""
        return pyotp.TOTP(self.totp).at(at or datetime.now(UTC))


@dataclass
class IdentityApp:
    http: httpx.AsyncClient
    runtime: Runtime
    deps: ServerDeps
    transport: httpx.AsyncBaseTransport

    @property
    def clients(self) -> ClientService:
        return self.deps.clients

    async def user(self, role: str = "clinician", **extra: Any) -> Staff:
        name = f"{role}.{secrets.token_hex(4)}"
        created = await self.deps.users.create(username=name, password=PASSWORD, role=role, **extra)
        return Staff(name, created.totp_secret)

    async def app_client(self, scope: str, *, public: bool = False) -> tuple[str, str | None]:
        created = await self.clients.register(
            Registration("Test SMART app", scope, "app", None, (REDIRECT,), public)
        )
        return created.client_id, created.client_secret

    async def backend_client(self, scope: str = "system/*.rs", *, kind: str = "backend") -> tuple[str, str]:
        created = await self.clients.register(Registration("Test backend", scope, kind))
        assert created.client_secret is not None
        return created.client_id, created.client_secret

    async def key_client(self, scope: str = "system/*.rs") -> tuple[str, ECKey]:
        key = ECKey.generate_key("P-384", parameters={"alg": "ES384"}, auto_kid=True)
        created = await self.clients.register(
            Registration("Key backend", scope, "backend", {"keys": [key.as_dict(private=False)]})
        )
        return created.client_id, key

    def authorize_params(
        self, client_id: str, scope: str, challenge: str | None, **extra: str
    ) -> dict[str, str]:
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": scope,
                  "state": secrets.token_hex(8), "aud": FHIR_BASE}  # fmt: skip
        if challenge is not None:
            params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        return params | extra

    async def login(
        self, staff: Staff, params: dict[str, str], *, password: str = PASSWORD
    ) -> httpx.Response:
        form = {
            "username": staff.username,
            "password": password,
            "otp": staff.otp(),
            "request": urlencode(params),
        }
        return await self.http.post("/identity/login", data=form)

    async def consent(self, params: dict[str, str], *, keep: list[str] | None = None,
                      decision: str = "approve", **fields: str) -> httpx.Response:  # fmt: skip
        page = await self.http.get("/identity/authorize", params=params)
        assert page.status_code == 200, page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None, page.text
        scopes = keep if keep is not None else params["scope"].split()
        form = [("request", urlencode(params)), ("csrf", csrf.group(1)), ("decision", decision)]
        form += [("scope", s) for s in scopes] + list(fields.items())
        return await self.http.post(
            "/identity/authorize",
            content=urlencode(form),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    async def code_for(self, staff: Staff, params: dict[str, str], **consent: Any) -> str:
        if not staff.logged_in:  # a one-time code is accepted once: later launches reuse the session
            login = await self.login(staff, params)
            assert login.status_code == 303, login.text
            staff.logged_in = True
        answer = await self.consent(params, **consent)
        assert answer.status_code in (302, 303), answer.text
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query["state"] == [params["state"]]
        return query["code"][0]

    async def token(self, form: dict[str, str], auth: tuple[str, str] | None = None) -> httpx.Response:
        if auth is None:
            return await self.http.post(TOKEN_PATH, data=form)
        return await self.http.post(TOKEN_PATH, data=form, auth=auth)

    async def exchange(
        self, code: str, verifier: str | None, client: tuple[str, str | None]
    ) -> httpx.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        if verifier is not None:
            form["code_verifier"] = verifier
        client_id, secret = client
        if secret is None:
            return await self.token(form | {"client_id": client_id})
        return await self.token(form, auth=(client_id, secret))


def client_assertion(client_id: str, key: ECKey, *, aud: str = f"{ISSUER}{TOKEN_PATH}", lifetime: int = 240,
                     jti: str | None = None) -> str:  # fmt: skip
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": aud, "exp": now + lifetime, "iat": now,
              "jti": jti or secrets.token_hex(12)}  # fmt: skip
    return jwt.encode({"alg": "ES384", "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=["ES384"])


def assertion_form(assertion: str, scope: str = "system/*.rs") -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
