"""authlib grants over caremesh storage: authorization code (+ PKCE S256 only), refresh token
(rotation), client credentials (scope down-selected to what the client is registered for)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc7636 import CodeChallenge

from caremesh.kernel.ids import new_id
from caremesh.kernel.security.smart_scopes import split_scopes
from caremesh.modules.identity.adapters.grants_sql import CodeRecord
from caremesh.modules.identity.application.hashing import digest
from caremesh.modules.identity.application.models import PRIVATE_KEY_JWT, AuthorizationCode, RefreshToken

if TYPE_CHECKING:
    from caremesh.modules.identity.application.server import SmartAuthorizationServer

CONFIDENTIAL = ["client_secret_basic", PRIVATE_KEY_JWT]
ANY_CLIENT = [*CONFIDENTIAL, "none"]


def _server(grant: Any) -> SmartAuthorizationServer:
    return grant.server


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only: a missing challenge or any other method is refused (SMART 2.0)."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: AuthorizationCode) -> str | None:
        return authorization_code.record.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: AuthorizationCode) -> str | None:
        return authorization_code.record.code_challenge_method


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ANY_CLIENT

    def save_authorization_code(self, code: str, request: Any) -> None:
        server, data = _server(self), request.payload.data
        now = server.deps.tokens.now()
        launch = getattr(request, "launch_context", {}) or {}
        record = CodeRecord(
            code_hash=digest(code),
            client_id=request.client.client_id,
            user_id=request.user.user_id,
            redirect_uri=request.payload.redirect_uri or request.client.get_default_redirect_uri() or "",
            scope=request.scope or "",
            patient_id=launch.get("patient"),
            encounter_id=launch.get("encounter"),
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            family_id=new_id(),
            auth_time=now,
            expires_at=now + server.deps.settings.code_ttl,
        )
        server.deps.bridge.run(server.deps.tokens.save_code(record))

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode | None:
        deps = _server(self).deps
        record = deps.bridge.run(deps.tokens.redeem_code(code, client.client_id))
        return None if record is None else AuthorizationCode(record)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: the code was consumed atomically when it was looked up."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Any:
        deps = _server(self).deps
        return deps.bridge.run(deps.users.get(authorization_code.record.user_id))


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ANY_CLIENT
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        deps = _server(self).deps
        record = deps.bridge.run(deps.tokens.refresh_record(refresh_token))
        return None if record is None else RefreshToken(record, deps.tokens.now())

    def _validate_token_scope(self, token: RefreshToken) -> None:
        # Down-selection only: every requested scope (v1 or v2) must have been granted.
        requested = set(split_scopes(self.request.payload.scope))
        if requested and not requested <= set(split_scopes(token.get_scope())):
            raise InvalidScopeError()

    def authenticate_user(self, refresh_token: RefreshToken) -> Any:
        deps = _server(self).deps
        return deps.bridge.run(deps.users.get(refresh_token.record.user_id))

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        """Nothing to do: the old token is rotated in the transaction that stores the new one."""


class ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        requested = self.request.payload.scope
        scope = self.client.get_allowed_scope(requested)
        if not scope:
            raise InvalidScopeError("none of the requested scopes is allowed for this client")
        token = self.generate_token(scope=scope, include_refresh_token=False)
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
