"""The service token a process presents to the modules it calls, reissued shortly before expiry."""

from __future__ import annotations

import time
from datetime import timedelta

from caremesh.kernel.security.tokens import issue_token

RPC_SCOPE = "caremesh/rpc"


class ServiceCredentials:
    def __init__(
        self,
        caller: str,
        *,
        lifetime: timedelta = timedelta(minutes=15),
        renew_before: timedelta = timedelta(minutes=1),
    ) -> None:
        self.caller = caller
        self._lifetime = lifetime
        self._usable_for = (lifetime - renew_before).total_seconds()
        self._header: str | None = None
        self._renew_at = 0.0

    def authorization(self) -> str:
        """The ``Authorization`` header value; a new token once the cached one nears expiry."""
        now = time.monotonic()
        if self._header is None or now >= self._renew_at:
            token = issue_token(
                subject=f"service:{self.caller}", client_id=self.caller, kind="service",
                scopes=[RPC_SCOPE], ttl=self._lifetime,
            )
            self._header = f"Bearer {token}"
            self._renew_at = now + self._usable_for
        return self._header

    def forget(self) -> None:
        """Drop the cached token (the target refused it, e.g. after the shared secret rotated)."""
        self._header = None
