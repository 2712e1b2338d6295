"""The SMART on FHIR authorization server: authlib's ``AuthorizationServer`` wired to caremesh.

Requests reach it as :class:`FormRequest` (query and form already parsed by the API layer);
responses come back as ``(status, body, headers)`` for the API layer to send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError, InvalidScopeError

from caremesh.kernel.ids import new_id
from caremesh.kernel.security.smart_scopes import CONTEXTS, parse_resource_scope, split_scopes
from caremesh.modules.identity.application.bridge import LoopBridge
from caremesh.modules.identity.application.client_auth import PENDING_ASSERTION, PrivateKeyJwt
from caremesh.modules.identity.application.clients import ClientService
from caremesh.modules.identity.application.endpoints import Introspection, Revocation
from caremesh.modules.identity.application.grants import (
    ClientCredentials,
    CodeGrant,
    RefreshGrant,
    S256CodeChallenge,
)
from caremesh.modules.identity.application.hashing import SecretVerifier
from caremesh.modules.identity.application.issuance import Grant, Minter
from caremesh.modules.identity.application.keys import KeyRing
from caremesh.modules.identity.application.models import PRIVATE_KEY_JWT, OAuthClient
from caremesh.modules.identity.application.settings import IdentitySettings
from caremesh.modules.identity.application.token_store import TokenStore
from caremesh.modules.identity.application.users import UserService

# Scopes that are not resource scopes (SMART App Launch 2.0 + OpenID Connect + caremesh RPC).
NON_RESOURCE_SCOPES = frozenset(
    {
        "openid",
        "fhirUser",
        "profile",
        "launch",
        "launch/patient",
        "launch/encounter",
        "offline_access",
        "online_access",
        "caremesh/rpc",
    }
)


@dataclass
class ServerDeps:
    settings: IdentitySettings
    ring: KeyRing
    minter: Minter
    tokens: TokenStore
    clients: ClientService
    users: UserService
    verifier: SecretVerifier
    bridge: LoopBridge


class FormPayload(OAuth2Payload):
    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._datalist: dict[str, list[str]] = {}
        for key, value in pairs:
            self._datalist.setdefault(key, []).append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> dict[str, list[str]]:
        return self._datalist


class FormRequest(OAuth2Request):
    """An OAuth request whose query and form were read by the (async) API layer."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Any,
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = FormPayload([*query, *form])
        self._args = dict(query)
        self._form = dict(form)
        self.launch_context: dict[str, str] = {}

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


def check_scope_syntax(scope: str | None) -> None:
    for item in split_scopes(scope):
        if item in NON_RESOURCE_SCOPES:
            continue
        parsed = parse_resource_scope(item)
        if parsed is None or parsed.context not in CONTEXTS:
            raise InvalidScopeError(f"unknown scope {item!r}")


class SmartAuthorizationServer(AuthorizationServer):
    def __init__(self, deps: ServerDeps) -> None:
        super().__init__(scopes_supported=None)
        self.deps = deps
        self.register_token_generator("default", self._token_skeleton)
        self.register_grant(CodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_grant(ClientCredentials)
        self.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJwt(deps))
        self.register_endpoint(Introspection)
        self.register_endpoint(Revocation)

    def query_client(self, client_id: str) -> OAuthClient | None:
        record = self.deps.bridge.run(self.deps.clients.get(client_id))
        return None if record is None else OAuthClient(record, self.deps.verifier)

    def create_oauth2_request(self, request: Any) -> FormRequest:
        assert isinstance(request, FormRequest)
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal subscribers in caremesh."""

    def validate_requested_scope(self, scope: str | None) -> None:
        check_scope_syntax(scope)

    def _token_skeleton(
        self,
        grant_type: str,
        client: OAuthClient,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        # The access token itself is minted in save_token, where the launch context is known.
        return {
            "token_type": "Bearer",
            "scope": " ".join(split_scopes(scope)),
            "expires_in": int(self.deps.settings.access_token_ttl.total_seconds()),
        }

    def save_token(self, token: dict[str, Any], request: FormRequest) -> None:
        """Mint the access token (and id_token, refresh token) and store them atomically."""
        grant, refresh_scope, rotated = self._grant_of(token, request)
        now = self.deps.tokens.now()
        access, access_record = self.deps.minter.access_token(grant, now)
        refresh = self.deps.minter.refresh_token(grant, refresh_scope, now) if refresh_scope else None
        refused = self.deps.bridge.run(
            self.deps.tokens.persist(
                access_record, refresh[1] if refresh else None, rotated, PENDING_ASSERTION.get()
            )
        )
        if refused == "assertion-replayed":
            raise InvalidClientError(description="the client assertion was used before")
        if refused is not None:
            raise InvalidGrantError("the refresh token was already used")
        token["access_token"] = access
        if refresh is not None:
            token["refresh_token"] = refresh[0]
        id_token = self.deps.minter.id_token(grant, now)
        if id_token:
            token["id_token"] = id_token
        if grant.patient_context:
            token["patient"] = grant.patient_context
        if grant.encounter:
            token["encounter"] = grant.encounter

    def _grant_of(self, token: dict[str, Any], request: FormRequest) -> tuple[Grant, str | None, str | None]:
        client, user, scope = request.client, request.user, token["scope"]
        code = request.authorization_code
        if code is not None:
            record = code.record
            grant = Grant(
                client,
                user,
                scope,
                record.family_id,
                record.patient_id,
                record.encounter_id,
                record.nonce,
                code.get_auth_time(),
            )
            return grant, scope, None
        if request.refresh_token is not None:
            old = request.refresh_token.record
            grant = Grant(client, user, scope, old.family_id, old.patient_id, old.encounter_id)
            return grant, old.scope, old.token_hash
        return Grant(client, None, scope, family_id=None if user is None else new_id()), None, None
