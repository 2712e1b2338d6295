"""Bearer tokens: the kernel's verifier, and the development tokens signed with the shared secret.

Two kinds of token are accepted:

* **Access tokens of a trusted issuer** (ES384/RS384/... with a ``kid``): the identity module's
  SMART authorization server, or an external OpenID Connect provider. Keys come from the
  issuer's :mod:`key source <caremesh.kernel.security.key_sources>`; issuer, audience, expiry
  and signature are checked, ``alg: none`` and HMAC-signed look-alikes are refused.
* **Development tokens** (HS256 with the deployment secret, ``CAREMESH_SECRET`` or
  ``var/secret.key``): what ``caremesh token``, the demo banner, the tests and the
  locally-signed service tokens use. Whoever holds the deployment secret can mint them, so
  they carry no more trust than the secret itself; production deployments turn them off for
  users with ``CAREMESH_DEV_TOKENS=off`` (service tokens then come from the identity module).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
from joserfc import jws
from joserfc import jwt as jose_jwt
from joserfc.errors import ExpiredTokenError, JoseError

from caremesh.kernel.clock import utcnow
from caremesh.kernel.errors import Unauthorized
from caremesh.kernel.security.key_sources import ASYMMETRIC_ALGORITHMS, KeySource, key_source_for
from caremesh.kernel.security.token_cache import VerifiedTokens

ISSUER = "caremesh"
AUDIENCE = "caremesh"
ALGORITHM = "HS256"
LEEWAY_SECONDS = 30


class UnknownSigningKey(Unauthorized):
    """The token names a key its issuer's cached JWKS does not hold (yet)."""

    def __init__(self, source: KeySource) -> None:
        super().__init__("the access token is not valid")
        self.source = source


def var_dir() -> Path:
    return Path(os.environ.get("CAREMESH_VAR_DIR", "var"))


_secret_files: dict[Path, str] = {}


def shared_secret() -> str:
    configured = os.environ.get("CAREMESH_SECRET")
    if configured:
        return configured
    path = Path(os.path.abspath(var_dir() / "secret.key"))
    known = _secret_files.get(path)
    if known is not None:
        return known  # read once per process: it is asked on every request
    _secret_files[path] = secret = _read_or_create(path)
    return secret


def _read_or_create(path: Path) -> str:
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


def dev_tokens_enabled() -> bool:
    return os.environ.get("CAREMESH_DEV_TOKENS", "on").lower() not in ("off", "0", "false", "no")


@dataclass(frozen=True)
class Claims:
    subject: str
    client_id: str
    kind: str  # "user", "client" or "service"
    scopes: tuple[str, ...]
    raw: dict[str, Any]


def issue_token(
    *,
    subject: str,
    client_id: str,
    kind: str,
    scopes: list[str],
    ttl: timedelta = timedelta(hours=1),
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """A development token signed with the deployment secret (see the module docstring).

    ``extra_claims``: e.g. ``roles``, ``patient``, ``fhirUser`` (they become Principal fields).
    """
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
        "jti": secrets.token_urlsafe(12),
        **(extra_claims or {}),
    }
    return jwt.encode(claims, shared_secret(), algorithm=ALGORITHM)


_verified: VerifiedTokens[Claims] = VerifiedTokens()


def verify_token(token: str) -> Claims:
    """Verify with the keys at hand (no I/O); raises Unauthorized (UnknownSigningKey for a new kid).

    A token verified in the last minute is answered from memory (see ``token_cache``).
    """
    context = f"{shared_secret()}|{dev_tokens_enabled()}"
    cached = _verified.get(token, context)
    if cached is not None:
        return cached
    claims, still_valid = _verify(token)
    _verified.put(token, context, claims, expires_at=float(claims.raw.get("exp", 0)), still_valid=still_valid)
    return claims


def _always() -> bool:
    return True


def _verify(token: str) -> tuple[Claims, Callable[[], bool]]:
    header, unverified = _peek(token)
    alg = header.get("alg")
    if alg == ALGORITHM and unverified.get("iss") == ISSUER:
        return _verify_shared_secret(token, unverified), _always
    if alg not in ASYMMETRIC_ALGORITHMS:
        raise Unauthorized("the access token is not valid")
    source = key_source_for(str(unverified.get("iss", "")))
    if source is None:
        raise Unauthorized("the access token's issuer is not trusted")
    kid = header.get("kid")
    key = source.key_for(None if kid is None else str(kid))
    if key is None:
        raise UnknownSigningKey(source)
    claims = _verify_with_key(token, str(alg), key, source)
    jti = None if claims.raw.get("jti") is None else str(claims.raw["jti"])
    issuer = str(unverified.get("iss", ""))

    def still_valid() -> bool:
        return key_source_for(issuer) is source and not source.is_revoked(jti)

    return claims, still_valid


async def verify_token_async(token: str) -> Claims:
    """Like :func:`verify_token`, refreshing the issuer's keys once when the kid is unknown."""
    try:
        return verify_token(token)
    except UnknownSigningKey as unknown:
        await unknown.source.refresh()
    try:
        return verify_token(token)
    except UnknownSigningKey:
        raise Unauthorized("the access token is not valid") from None


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        compact = jws.extract_compact(token.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise Unauthorized("the access token is not valid") from exc
    if not isinstance(claims, dict):
        raise Unauthorized("the access token is not valid")
    return dict(compact.protected), claims


def _verify_shared_secret(token: str, unverified: dict[str, Any]) -> Claims:
    if not dev_tokens_enabled() and unverified.get("kind") != "service":
        raise Unauthorized("development tokens are disabled in this deployment")
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
    return _claims(data)


def _verify_with_key(token: str, alg: str, key: Any, source: KeySource) -> Claims:
    try:
        decoded = jose_jwt.decode(token, key, algorithms=[alg])
        registry = jose_jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": source.issuer},
            sub={"essential": True},
            exp={"essential": True},
            aud={"essential": True, "values": sorted(source.audiences)},
        )
        registry.validate(decoded.claims)
    except ExpiredTokenError as exc:
        raise Unauthorized("the access token has expired") from exc
    except JoseError as exc:
        raise Unauthorized("the access token is not valid") from exc
    data = dict(decoded.claims)
    if not source.caremesh_issuer:
        data.pop("kind", None)  # an external provider cannot make anyone a caremesh service
    if source.is_revoked(None if data.get("jti") is None else str(data["jti"])):
        raise Unauthorized("the access token has been revoked")
    return _claims(data)


def _claims(data: dict[str, Any]) -> Claims:
    subject = str(data["sub"])
    client_id = str(data.get("client_id") or data.get("azp") or subject)
    return Claims(
        subject=subject,
        client_id=client_id,
        kind=str(data.get("kind") or _kind_of(data, subject, client_id)),
        scopes=tuple(str(data.get("scope", "")).split()),
        raw=data,
    )


def _kind_of(data: dict[str, Any], subject: str, client_id: str) -> str:
    # Tokens of external providers carry no "kind": a token about someone other than the client
    # is a user's; a client acting for itself is a client (never a caremesh service).
    return "user" if data.get("fhirUser") or subject != client_id else "client"
