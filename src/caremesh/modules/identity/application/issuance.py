"""Minting: the JWT access token, the OpenID Connect id_token and the records kept of them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caremesh.modules.identity.adapters.grants_sql import AccessRecord, RefreshRecord
from caremesh.modules.identity.application.hashing import digest
from caremesh.modules.identity.application.keys import KeyRing
from caremesh.modules.identity.application.models import OAuthClient
from caremesh.modules.identity.application.settings import IdentitySettings
from caremesh.modules.identity.application.users import UserRef
from caremesh.modules.identity.domain.roles import PATIENT

OFFLINE, ONLINE = "offline_access", "online_access"


@dataclass(frozen=True)
class Grant:
    """What a token is about: who, for which client, with which scope and launch context."""

    client: OAuthClient
    user: UserRef | None
    scope: str
    family_id: str | None = None
    patient: str | None = None
    encounter: str | None = None
    nonce: str | None = None
    auth_time: int | None = None

    @property
    def subject(self) -> str:
        return self.user.user_id if self.user else self.client.client_id

    @property
    def kind(self) -> str:
        if self.user is not None:
            return "user"
        return "service" if self.client.record.kind == "service" else "client"

    @property
    def patient_context(self) -> str | None:
        # A patient user is confined to their own record, whatever the launch said.
        if self.user is not None and self.user.role == PATIENT:
            return self.user.patient_id
        return self.patient


class Minter:
    def __init__(self, ring: KeyRing, settings: IdentitySettings) -> None:
        self._ring = ring
        self._settings = settings

    def access_token(self, grant: Grant, now: datetime) -> tuple[str, AccessRecord]:
        expires_at = now + self._settings.access_token_ttl
        jti = secrets.token_urlsafe(18)
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "aud": sorted(self._settings.audiences),
            "sub": grant.subject,
            "client_id": grant.client.client_id,
            "scope": grant.scope,
            "jti": jti,
            "kind": grant.kind,
            "iat": int(now.timestamp()),
            "exp": int(expires_at.timestamp()),
        }
        if grant.user is not None:
            claims["roles"] = [grant.user.role]
            if grant.user.fhir_user:
                claims["fhirUser"] = grant.user.fhir_user
        if grant.patient_context:
            claims["patient"] = grant.patient_context
        if grant.encounter:
            claims["encounter"] = grant.encounter
        record = AccessRecord(
            jti, grant.family_id, grant.client.client_id, grant.subject, grant.scope, now, expires_at
        )
        return self._ring.sign(claims, typ="at+jwt"), record

    def id_token(self, grant: Grant, now: datetime) -> str | None:
        scopes = grant.scope.split()
        if grant.user is None or "openid" not in scopes:
            return None
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "sub": grant.user.user_id,
            "aud": grant.client.client_id,
            "iat": int(now.timestamp()),
            "exp": int((now + self._settings.access_token_ttl).timestamp()),
        }
        if grant.auth_time is not None:
            claims["auth_time"] = grant.auth_time
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "fhirUser" in scopes and grant.user.fhir_user:
            claims["fhirUser"] = f"{self._settings.fhir_base_url}/{grant.user.fhir_user}"
        return self._ring.sign(claims)

    def refresh_token(
        self, grant: Grant, refresh_scope: str, now: datetime
    ) -> tuple[str, RefreshRecord] | None:
        """A new refresh token when the grant asked for offline or online access."""
        scopes = refresh_scope.split()
        if grant.user is None or grant.family_id is None or not ({OFFLINE, ONLINE} & set(scopes)):
            return None
        ttl = self._settings.offline_refresh_ttl if OFFLINE in scopes else self._settings.online_refresh_ttl
        value = secrets.token_urlsafe(32)
        record = RefreshRecord(
            token_hash=digest(value),
            family_id=grant.family_id,
            client_id=grant.client.client_id,
            user_id=grant.user.user_id,
            scope=refresh_scope,
            patient_id=grant.patient_context,
            encounter_id=grant.encounter,
            issued_at=now,
            expires_at=now + ttl,
        )
        return value, record
