"""Token introspection (RFC 7662) and revocation (RFC 7009) over caremesh tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from joserfc import jwt
from joserfc.errors import JoseError

from caremesh.modules.identity.application.client_auth import record_pending_assertion
from caremesh.modules.identity.application.grants import ANY_CLIENT, CONFIDENTIAL
from caremesh.modules.identity.application.models import IntrospectedToken, OAuthClient

if TYPE_CHECKING:
    from caremesh.modules.identity.application.server import ServerDeps


def find_token(deps: ServerDeps, value: str, hint: str | None) -> IntrospectedToken | None:
    """An access token this server signed (signature and issuer checked) or a refresh token."""
    if hint != "refresh_token" and value.count(".") == 2:
        found = _access_token(deps, value)
        if found is not None or hint == "access_token":
            return found
    record = deps.bridge.run(deps.tokens.refresh_by_value(value))
    if record is None:
        return None
    revoked = record.revoked_at is not None or record.rotated_at is not None
    return IntrospectedToken(
        "refresh_token",
        record.client_id,
        record.scope,
        record.expires_at,
        revoked,
        deps.tokens.now(),
        {"sub": record.user_id},
        refresh=record,
    )


def _access_token(deps: ServerDeps, value: str) -> IntrospectedToken | None:
    try:
        header = jwt.decode(value, lambda obj: _key(deps, obj), algorithms=[deps.ring.alg])
    except (JoseError, LookupError, ValueError):
        return None
    claims = dict(header.claims)
    if claims.get("iss") != deps.settings.issuer or "jti" not in claims:
        return None
    record = deps.bridge.run(deps.tokens.access_record(str(claims["jti"])))
    if record is None:
        return None
    return IntrospectedToken(
        "access_token",
        record.client_id,
        record.scope,
        datetime.fromtimestamp(int(claims["exp"]), UTC),
        record.revoked_at is not None,
        deps.tokens.now(),
        claims,
        access=record,
    )


def _key(deps: ServerDeps, obj: Any) -> Any:
    key = deps.ring.key_for(obj.headers().get("kid"))
    if key is None:
        raise LookupError("unknown kid")
    return key


class _TokenEndpoint:
    """What introspection and revocation share: client authentication (recording a client
    assertion's jti) and finding the token asked about."""

    server: Any

    def authenticate_endpoint_client(self, request: Any) -> OAuthClient:
        client = super().authenticate_endpoint_client(request)  # type: ignore[misc]  # the authlib endpoint next in the MRO
        record_pending_assertion(self.server.deps)
        return client

    @property
    def deps(self) -> ServerDeps:
        return self.server.deps

    def query_token(self, token_string: str, token_type_hint: str | None) -> IntrospectedToken | None:
        return find_token(self.deps, token_string, token_type_hint)


class Introspection(_TokenEndpoint, IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL

    def check_permission(self, token: IntrospectedToken, client: OAuthClient, request: Any) -> bool:
        # A client may introspect its own tokens; caremesh services and backend clients act as
        # resource servers and may introspect any.
        return token.client_id == client.client_id or client.record.kind in ("service", "backend")

    def introspect_token(self, token: IntrospectedToken) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "active": True,
            "client_id": token.client_id,
            "scope": token.scope,
            "token_type": "Bearer",
            "exp": int(token.expires_at.timestamp()),
            "iss": self.deps.settings.issuer,
        }
        for claim in ("sub", "aud", "iat", "jti", "patient", "encounter", "fhirUser"):
            if claim in token.claims:
                payload[claim] = token.claims[claim]
        return payload


class Revocation(_TokenEndpoint, RevocationEndpoint):
    CLIENT_AUTH_METHODS = ANY_CLIENT

    def revoke_token(self, token: IntrospectedToken, request: Any) -> None:
        """Revoking either token of a user grant revokes the grant: its access and refresh tokens."""
        family = (token.access.family_id if token.access else None) or (
            token.refresh.family_id if token.refresh else None
        )
        if family is not None:
            self.deps.bridge.run(self.deps.tokens.revoke_family(family))
        elif token.access is not None:
            self.deps.bridge.run(self.deps.tokens.revoke_access(token.access.jti, token.expires_at))
