"""``private_key_jwt`` client authentication (RFC 7523, SMART Backend Services).

The assertion must be signed RS384 or ES384 with a key of the client's registered JWKS, name the
token URL as audience, expire at most five minutes ahead, and carry a ``jti`` never seen before
(seen ids are kept until they expire).
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from caremesh.modules.identity.adapters.grants_sql import SeenAssertion
from caremesh.modules.identity.application.models import PRIVATE_KEY_JWT, OAuthClient

if TYPE_CHECKING:
    from caremesh.modules.identity.application.server import ServerDeps

ASSERTION_ALGORITHMS = ["RS384", "ES384"]


# Set while authlib handles one request (each runs in its own copy of the context).
PENDING_ASSERTION: ContextVar[SeenAssertion | None] = ContextVar("pending_assertion", default=None)
MAX_LIFETIME_SECONDS = 300


class PrivateKeyJwt(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self, deps: ServerDeps) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self._deps = deps

    def get_audiences(self) -> list[str]:
        return [self._deps.settings.token_url]

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet:
        if client.jwks is None:
            raise InvalidClientError(description="the client has no registered keys")
        return KeySet.import_key_set(client.jwks)  # type: ignore[arg-type]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except JoseError as exc:
            raise InvalidClientError(description="the client assertion is not valid") from exc
        self.verify_claims(token.claims)
        return dict(token.claims)

    def verify_claims(self, claims: Any) -> None:
        exp = claims.get("exp")
        now = self._deps.tokens.now().timestamp()
        if isinstance(exp, int | float) and exp - now > MAX_LIFETIME_SECONDS + self.leeway:
            raise InvalidClientError(description="the client assertion expires more than 5 minutes ahead")
        super().verify_claims(claims)

    def validate_jti(self, claims: Any, jti: str) -> bool:
        """Remember the assertion for the request; its jti is recorded (and a replay refused) in
        the transaction that stores the issued token, so issuance costs one commit, not two."""
        expires_at = datetime.fromtimestamp(float(claims["exp"]), UTC)
        PENDING_ASSERTION.set(SeenAssertion(str(claims["sub"]), str(jti), expires_at))
        return True


def record_pending_assertion(deps: ServerDeps) -> None:
    """For endpoints that issue nothing (introspection, revocation): record the jti now."""
    pending = PENDING_ASSERTION.get()
    if pending is not None and not deps.bridge.run(deps.tokens.remember_assertion(pending)):
        raise InvalidClientError(description="the client assertion was used before")
