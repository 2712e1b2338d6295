"""Signed bearer tokens (JWT, HS256) for demo users, API clients and service-to-service calls.

This is the kernel's verifier; the identity module (SMART on FHIR authorization server) issues
tokens with asymmetric keys and JWKS. Until then processes of one deployment share a secret,
read from ``CAREMESH_SECRET`` or generated once under the var directory.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt

from caremesh.kernel.clock import utcnow
from caremesh.kernel.errors import Unauthorized

ISSUER = "caremesh"
AUDIENCE = "caremesh"
ALGORITHM = "HS256"


def var_dir() -> Path:
    return Path(os.environ.get("CAREMESH_VAR_DIR", "var"))


def shared_secret() -> str:
    configured = os.environ.get("CAREMESH_SECRET")
    if configured:
        return configured
    path = var_dir() / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = secrets.token_urlsafe(48)
        try:
            with path.open("x") as handle:
                handle.write(candidate)
            path.chmod(0o600)
        except FileExistsError:
            pass  # another process of the topology created it first
    return path.read_text().strip()


@dataclass(frozen=True)
class Claims:
    subject: str
    client_id: str
    kind: str  # "user", "client" or "service"
    scopes: tuple[str, ...]
    raw: dict[str, Any]


def issue_token(
    *, subject: str, client_id: str, kind: str, scopes: list[str], ttl: timedelta = timedelta(hours=1)
) -> str:
    now = utcnow()
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "client_id": client_id,
        "kind": kind,
        "scope": " ".join(scopes),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, shared_secret(), algorithm=ALGORITHM)


def verify_token(token: str) -> Claims:
    try:
        data = jwt.decode(
            token,
            shared_secret(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the access token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("the access token is not valid") from exc
    return Claims(
        subject=str(data["sub"]),
        client_id=str(data.get("client_id", data["sub"])),
        kind=str(data.get("kind", "user")),
        scopes=tuple(str(data.get("scope", "")).split()),
        raw=data,
    )
