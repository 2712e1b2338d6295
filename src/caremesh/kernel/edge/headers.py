"""Security headers on every response; a header the application set itself is left alone.

API responses may carry PHI, so they are ``no-store`` (no browser, proxy or CDN may keep a copy)
and get a CSP that allows nothing, since JSON is never meant to be rendered. HTML pages (the
login and consent pages) get a strict CSP; FastAPI's interactive docs load Swagger UI from a
CDN with inline scripts, so only those paths get the looser policy they need. ``form-action``
is not restricted: browsers apply it to the redirect after the login form, and that redirect
goes to the registered app's redirect URI on another origin.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

STATIC_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
)


def content_security_policy(path: str, content_type: str) -> str:
    if not content_type.startswith("text/html"):
        return API_CSP
    return DOCS_CSP if path in DOCS_PATHS else HTML_CSP


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age: int) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age}; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # HSTS only means something over TLS (RFC 6797 §7.2: ignored, and not to be sent, on http).
        tls = scope.get("scheme") == "https"
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in STATIC_HEADERS:
                    headers.setdefault(name, value)
                content_type = headers.get("content-type", "")
                headers.setdefault("content-security-policy", content_security_policy(path, content_type))
                if tls:
                    headers.setdefault("strict-transport-security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)
