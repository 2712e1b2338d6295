"""Which token issuers a process trusts, decided from the topology and the environment.

* ``CAREMESH_OIDC_ISSUER`` + ``CAREMESH_OIDC_JWKS_URL`` (optional ``CAREMESH_OIDC_AUDIENCE``,
  default ``caremesh``), or ``[modules.identity] external_issuer`` / ``external_jwks_url`` /
  ``audience`` in the topology: an external OpenID Connect provider (e.g. Keycloak) whose JWKS
  is fetched over HTTP.
* Otherwise, when the identity module runs in *another* process of the topology, its issuer
  (``[modules.identity] issuer``, default the identity process's base URL) with the JWKS at
  ``<issuer>/.well-known/jwks.json``. When identity runs in this process it registers a local
  key source itself and nothing is fetched.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from caremesh.kernel.security.key_sources import RemoteJwksSource, register_key_source
from caremesh.kernel.security.tokens import AUDIENCE
from caremesh.kernel.topology import Topology

IDENTITY = "identity"


def identity_issuer(topology: Topology) -> str | None:
    if IDENTITY not in topology.modules:
        return None
    configured = topology.config_of(IDENTITY).get("issuer")
    return str(configured).rstrip("/") if configured else topology.process_of(IDENTITY).base_url


def configure_trust(topology: Topology, local_modules: Iterable[str]) -> RemoteJwksSource | None:
    """Register the remote issuer this process must trust, if any; returns it."""
    config = topology.config_of(IDENTITY)
    issuer = os.environ.get("CAREMESH_OIDC_ISSUER") or config.get("external_issuer")
    jwks_url = os.environ.get("CAREMESH_OIDC_JWKS_URL") or config.get("external_jwks_url")
    audience = os.environ.get("CAREMESH_OIDC_AUDIENCE") or config.get("audience") or AUDIENCE
    external = bool(issuer and jwks_url)
    if not external:
        if IDENTITY in local_modules:
            return None
        issuer = identity_issuer(topology)
        if issuer is None:
            return None
        jwks_url = f"{issuer}/.well-known/jwks.json"
    # An external issuer is compared byte for byte with the tokens' "iss" (a trailing slash counts).
    source = RemoteJwksSource(str(issuer), str(jwks_url), {str(audience)}, caremesh_issuer=not external)
    register_key_source(source)
    return source
