"""Settings of the identity module, from ``[modules.identity]`` in the topology."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

DEFAULT_ISSUER = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class IdentitySettings:
    issuer: str = DEFAULT_ISSUER
    fhir_base_url: str = f"{DEFAULT_ISSUER}/fhir/R4"
    signing_alg: str = "ES384"
    access_token_ttl: timedelta = timedelta(minutes=15)
    offline_refresh_ttl: timedelta = timedelta(days=90)
    online_refresh_ttl: timedelta = timedelta(hours=8)
    code_ttl: timedelta = timedelta(minutes=5)
    session_absolute: timedelta = timedelta(hours=8)
    session_idle: timedelta = timedelta(minutes=15)

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/identity/token"

    @property
    def authorize_url(self) -> str:
        return f"{self.issuer}/identity/authorize"

    @property
    def audiences(self) -> frozenset[str]:
        return frozenset({"caremesh", self.fhir_base_url})


def load_settings(config: dict[str, Any]) -> IdentitySettings:
    issuer = str(config.get("issuer", DEFAULT_ISSUER)).rstrip("/")
    ttl = timedelta(seconds=int(config.get("access_token_ttl_seconds", 900)))
    if ttl > timedelta(hours=1):
        raise ValueError("access tokens live at most one hour")
    return IdentitySettings(
        issuer=issuer,
        fhir_base_url=str(config.get("fhir_base_url", f"{issuer}/fhir/R4")).rstrip("/"),
        signing_alg=str(config.get("signing_alg", "ES384")),
        access_token_ttl=ttl,
        session_idle=timedelta(seconds=int(config.get("session_idle_seconds", 900))),
        session_absolute=timedelta(seconds=int(config.get("session_absolute_seconds", 8 * 3600))),
    )
