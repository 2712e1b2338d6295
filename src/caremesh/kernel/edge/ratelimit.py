"""Per-client rate limits at the edge, before any authentication work is spent on a request.

The key is deliberately *not* taken from the token's claims: an unverified claim is attacker
input and must not decide whose bucket is charged. A request with a bearer token is keyed by
the SHA-256 of the token together with the remote address (one credential used from one place);
a request without one (token endpoint, discovery, login) by its remote address alone, with a
tighter limit. Behind a reverse proxy run uvicorn with ``--proxy-headers`` and
``--forwarded-allow-ips`` so the remote address is the client's, not the proxy's.
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caremesh.kernel.edge.gcra import Decision, Limit, RateLimitStore
from caremesh.kernel.edge.responses import send_refusal


def bearer_token(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            token = token.strip()
            return token if scheme.lower() == b"bearer" and token else None
    return None


def remote_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def bucket_key(scope: Scope) -> tuple[str, bool]:
    """(key, has bearer credential). Keys hold digests, never a token or anything readable."""
    address = remote_address(scope)
    token = bearer_token(scope)
    if token is None:
        return hashlib.sha256(address.encode()).hexdigest()[:32], False
    digest = hashlib.sha256(token + b"|" + address.encode()).hexdigest()[:32]
    return digest, True


def policy_headers(limit: Limit, decision: Decision) -> list[tuple[bytes, bytes]]:
    """draft-ietf-httpapi-ratelimit-headers (-10): the quota policy and the state of this key."""
    name = limit.name.encode()
    return [
        (b"ratelimit-policy", b'"%s";q=%d;w=%d' % (name, limit.burst, limit.window_seconds)),
        (b"ratelimit", b'"%s";r=%d;t=%d' % (name, decision.remaining, decision.reset_seconds)),
    ]


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        store: RateLimitStore,
        client_limit: Limit,
        anonymous_limit: Limit,
        exempt_paths: tuple[str, ...],
    ) -> None:
        self.app = app
        self.store = store
        self.client_limit = client_limit
        self.anonymous_limit = anonymous_limit
        self.exempt_paths = exempt_paths

    def _exempt(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        key, authenticated = bucket_key(scope)
        limit = self.client_limit if authenticated else self.anonymous_limit
        decision = await self.store.acquire(key, limit)
        headers = policy_headers(limit, decision)
        if not decision.allowed:
            retry = (b"retry-after", str(decision.retry_after_seconds).encode())
            detail = f"rate limit exceeded; retry after {decision.retry_after_seconds} s"
            await send_refusal(send, scope["path"], 429, detail, [retry, *headers])
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
