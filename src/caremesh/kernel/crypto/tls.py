"""TLS >= 1.2 for caremesh's own HTTP clients and servers (docs/security-edge.md).

Clients (httpx, and the RPC client between processes) pass ``client_ssl_context()`` as
``verify=``: certificate and host name verification on, TLS 1.0/1.1 refused, no compression.
Servers: uvicorn is run with ``--ssl-certfile/--ssl-keyfile`` and ``--ssl-ciphers`` set to
``SERVER_CIPHERS``, which names only AEAD suites that exist from TLS 1.2 on, so a TLS 1.0/1.1
client finds no cipher in common; ``server_ssl_context`` builds the same policy for servers
that take a context.
"""

from __future__ import annotations

import ssl
from pathlib import Path

MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2
# ECDHE for forward secrecy, AES-GCM / ChaCha20-Poly1305 only (TLS 1.3 suites are always on).
SERVER_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!MD5:!SHA1"


def _harden(context: ssl.SSLContext) -> ssl.SSLContext:
    context.minimum_version = MINIMUM_VERSION
    context.options |= ssl.OP_NO_COMPRESSION
    context.set_ciphers(SERVER_CIPHERS)
    return context


def client_ssl_context(cafile: str | Path | None = None) -> ssl.SSLContext:
    """Verifying client context; ``cafile`` for a private CA (system trust store otherwise)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(cafile) if cafile else None)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return _harden(context)


def server_ssl_context(certfile: str | Path, keyfile: str | Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certfile), str(keyfile))
    return _harden(context)
