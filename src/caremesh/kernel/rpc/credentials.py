"""The service token a process presents to the modules it calls, renewed shortly before expiry.

Two ways to get one:

* **client credentials** (multi-process topologies with the identity module in another process):
  when a token URL and this process's client id and secret are configured
  (``CAREMESH_TOKEN_URL``, ``CAREMESH_SERVICE_CLIENT_ID``, ``CAREMESH_SERVICE_CLIENT_SECRET``,
  or :func:`configure_service_client`), the process asks the identity token endpoint for a
  ``client_credentials`` token (``client_secret_basic``) and caches it until shortly before expiry;
* otherwise a **locally signed** service token (the deployment secret; see ``tokens.py``).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from datetime import timedelta

import httpx

from caremesh.kernel.errors import DependencyUnavailable
from caremesh.kernel.security.tokens import issue_token

RPC_SCOPE = "caremesh/rpc"


@dataclass(frozen=True)
class ServiceClient:
    token_url: str
    client_id: str
    client_secret: str
    scope: str = RPC_SCOPE


_configured: ServiceClient | None = None


def configure_service_client(client: ServiceClient | None) -> None:
    """Set (or with None clear) the identity client this process authenticates as."""
    global _configured
    _configured = client


def service_client() -> ServiceClient | None:
    if _configured is not None:
        return _configured
    url = os.environ.get("CAREMESH_TOKEN_URL")
    client_id = os.environ.get("CAREMESH_SERVICE_CLIENT_ID")
    secret = os.environ.get("CAREMESH_SERVICE_CLIENT_SECRET")
    if url and client_id and secret:
        return ServiceClient(url, client_id, secret, os.environ.get("CAREMESH_SERVICE_SCOPE", RPC_SCOPE))
    return None


class ServiceCredentials:
    def __init__(
        self,
        caller: str,
        *,
        lifetime: timedelta = timedelta(minutes=15),
        renew_before: timedelta = timedelta(minutes=1),
        client: ServiceClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.caller = caller
        self._lifetime = lifetime
        self._renew_before = renew_before.total_seconds()
        self._usable_for = (lifetime - renew_before).total_seconds()
        self._client = client
        self._transport = transport
        self._header: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    def authorization(self) -> str:
        """The ``Authorization`` header value of a locally signed token (renewed near expiry)."""
        now = time.monotonic()
        if self._header is None or now >= self._renew_at:
            token = issue_token(
                subject=f"service:{self.caller}",
                client_id=self.caller,
                kind="service",
                scopes=[RPC_SCOPE],
                ttl=self._lifetime,
            )
            self._header = f"Bearer {token}"
            self._renew_at = now + self._usable_for
        return self._header

    async def authorize(self) -> str:
        """The header value: from the identity token endpoint when configured, else locally signed."""
        client = self._client or service_client()
        if client is None:
            return self.authorization()
        async with self._lock:
            if self._header is None or time.monotonic() >= self._renew_at:
                token, expires_in = await self._fetch(client)
                self._header = f"Bearer {token}"
                self._renew_at = time.monotonic() + max(expires_in - self._renew_before, expires_in / 2)
            return self._header

    async def _fetch(self, client: ServiceClient) -> tuple[str, float]:
        try:
            async with httpx.AsyncClient(timeout=5.0, transport=self._transport) as http:
                response = await http.post(
                    client.token_url,
                    data={"grant_type": "client_credentials", "scope": client.scope},
                    auth=(client.client_id, client.client_secret),
                )
            response.raise_for_status()
            body = response.json()
            return str(body["access_token"]), float(body.get("expires_in", 300))
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise DependencyUnavailable(
                "the identity service did not issue a service token", details={"reason": type(exc).__name__}
            ) from exc

    def forget(self) -> None:
        """Drop the cached token (the target refused it, e.g. after a key or secret rotation)."""
        self._header = None
