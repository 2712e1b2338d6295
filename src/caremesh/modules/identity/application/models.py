"""The objects authlib's grants and endpoints work with, over this module's records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, TokenMixin

from caremesh.kernel.security.smart_scopes import granted
from caremesh.modules.identity.adapters.clients_sql import ClientRecord
from caremesh.modules.identity.adapters.grants_sql import AccessRecord, CodeRecord, RefreshRecord
from caremesh.modules.identity.application.hashing import SecretVerifier

PRIVATE_KEY_JWT = "private_key_jwt"


class OAuthClient(ClientMixin):
    def __init__(self, record: ClientRecord, verifier: SecretVerifier) -> None:
        self.record = record
        self.client_id = record.client_id
        self._verifier = verifier

    @property
    def jwks(self) -> dict[str, Any] | None:
        return None if self.record.jwks is None else json.loads(self.record.jwks)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.record.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The requested scopes this client may have (v2-normalized); its whole scope if none asked."""
        if not scope:
            return self.record.scope
        return " ".join(granted(self.record.scope, scope))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.record.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self._verifier.verify(self.client_id, self.record.secret_hash, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.record.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.record.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.record.grant_types


@dataclass(frozen=True)
class AuthorizationCode(AuthorizationCodeMixin):
    record: CodeRecord

    def get_redirect_uri(self) -> str:
        return self.record.redirect_uri

    def get_scope(self) -> str:
        return self.record.scope

    def get_nonce(self) -> str | None:
        return self.record.nonce

    def get_auth_time(self) -> int:
        return int(self.record.auth_time.timestamp())


@dataclass(frozen=True)
class RefreshToken(TokenMixin):
    record: RefreshRecord
    now: datetime

    def check_client(self, client: OAuthClient) -> bool:
        return client.client_id == self.record.client_id

    def get_scope(self) -> str:
        return self.record.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.record.expires_at - self.now).total_seconds()))

    def is_expired(self) -> bool:
        return self.record.expires_at <= self.now

    def is_revoked(self) -> bool:
        return self.record.revoked_at is not None or self.record.rotated_at is not None


@dataclass(frozen=True)
class IntrospectedToken(TokenMixin):
    """An access token (claims verified) or a refresh token, as introspection and revocation see it."""

    kind: str  # "access_token" or "refresh_token"
    client_id: str
    scope: str
    expires_at: datetime
    revoked: bool
    now: datetime
    claims: dict[str, Any]
    access: AccessRecord | None = None
    refresh: RefreshRecord | None = None

    def check_client(self, client: OAuthClient) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int((self.expires_at - self.now).total_seconds()))

    def is_expired(self) -> bool:
        return self.expires_at <= self.now

    def is_revoked(self) -> bool:
        return self.revoked
