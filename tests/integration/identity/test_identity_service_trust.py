"""Service-to-service credentials from the identity token endpoint, and which issuers a process
of a topology trusts."""

from __future__ import annotations

import pytest
from identity_harness import ISSUER, TOKEN_PATH, IdentityApp

from caremesh.kernel.errors import DependencyUnavailable
from caremesh.kernel.rpc.credentials import ServiceClient, ServiceCredentials
from caremesh.kernel.security.key_sources import (
    RemoteJwksSource,
    key_source_for,
    register_key_source,
    unregister_key_source,
)
from caremesh.kernel.security.tokens import verify_token, verify_token_async
from caremesh.kernel.security.trust import configure_trust
from caremesh.kernel.topology import parse


async def test_a_process_gets_and_caches_a_client_credentials_service_token(identity: IdentityApp) -> None:
    client_id, secret = await identity.backend_client("caremesh/rpc", kind="service")
    client = ServiceClient(f"{ISSUER}{TOKEN_PATH}", client_id, secret)
    credentials = ServiceCredentials("scheduling", client=client, transport=identity.transport)
    header = await credentials.authorize()
    assert await credentials.authorize() is header  # cached, not fetched per call
    claims = await verify_token_async(header.removeprefix("Bearer "))
    assert claims.kind == "service" and claims.client_id == client_id and claims.scopes == ("caremesh/rpc",)
    credentials.forget()
    assert await credentials.authorize() != header


async def test_refused_service_credentials_surface_as_dependency_unavailable(identity: IdentityApp) -> None:
    client = ServiceClient(f"{ISSUER}{TOKEN_PATH}", "no-such-client", "wrong")
    credentials = ServiceCredentials("scheduling", client=client, transport=identity.transport)
    with pytest.raises(DependencyUnavailable):
        await credentials.authorize()


def test_without_a_service_client_the_token_is_locally_signed() -> None:
    credentials = ServiceCredentials("portal")
    claims = verify_token(credentials.authorization().removeprefix("Bearer "))
    assert claims.kind == "service" and claims.client_id == "portal"


def _split_topology(**identity_config: str) -> object:
    return parse(
        {
            "name": "split-test",
            "infrastructure": {"database": "sqlite:///unused", "bus": "nats://127.0.0.1:4222"},
            "processes": {
                "auth": {"modules": ["identity"], "port": 8100},
                "app": {"modules": ["scheduling"], "port": 8101},
            },
            "modules": {"identity": identity_config},
        }
    )


def test_a_process_without_identity_trusts_the_identity_process() -> None:
    topology = _split_topology()
    try:
        source = configure_trust(topology, ["scheduling"])  # type: ignore[arg-type]
        assert isinstance(source, RemoteJwksSource)
        assert source.issuer == "http://127.0.0.1:8100"
        assert source.jwks_url == "http://127.0.0.1:8100/.well-known/jwks.json"
        assert key_source_for("http://127.0.0.1:8100") is source
        assert configure_trust(topology, ["identity"]) is None  # type: ignore[arg-type]
    finally:
        unregister_key_source("http://127.0.0.1:8100")


def test_an_external_provider_replaces_the_built_in_one(monkeypatch: pytest.MonkeyPatch) -> None:
    issuer = "https://keycloak.example/realms/care"
    monkeypatch.setenv("CAREMESH_OIDC_ISSUER", issuer)
    monkeypatch.setenv("CAREMESH_OIDC_JWKS_URL", f"{issuer}/protocol/openid-connect/certs")
    monkeypatch.setenv("CAREMESH_OIDC_AUDIENCE", "caremesh-api")
    try:
        source = configure_trust(_split_topology(), ["scheduling"])  # type: ignore[arg-type]
        assert source is not None and source.issuer == issuer and source.audiences == {"caremesh-api"}
    finally:
        unregister_key_source(issuer)


async def test_another_process_verifies_identity_tokens_through_the_jwks_url(identity: IdentityApp) -> None:
    # As in a split topology: this "process" knows identity only by its issuer URL and JWKS.
    remote = RemoteJwksSource(
        ISSUER, f"{ISSUER}/.well-known/jwks.json", {"caremesh"}, min_refresh=0, transport=identity.transport
    )
    local = key_source_for(ISSUER)
    register_key_source(remote)
    try:
        client_id, secret = await identity.backend_client("caremesh/rpc", kind="service")
        before = (await identity.token({"grant_type": "client_credentials"}, auth=(client_id, secret))).json()
        assert (await verify_token_async(before["access_token"])).client_id == client_id
        assert local is not None
        await local.rotate()  # type: ignore[attr-defined]
        after = (await identity.token({"grant_type": "client_credentials"}, auth=(client_id, secret))).json()
        # The new kid is unknown to the cached JWKS: one refresh over HTTP, then accepted.
        assert (await verify_token_async(after["access_token"])).client_id == client_id
        assert (await verify_token_async(before["access_token"])).client_id == client_id
    finally:
        if local is not None:
            register_key_source(local)


def test_an_external_provider_set_by_environment_is_trusted_without_startup_wiring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issuer = "https://login.example/realms/care"
    monkeypatch.setenv("CAREMESH_OIDC_ISSUER", issuer)
    monkeypatch.setenv("CAREMESH_OIDC_JWKS_URL", f"{issuer}/certs")
    try:
        source = key_source_for(issuer)
        assert isinstance(source, RemoteJwksSource)
        assert source.jwks_url == f"{issuer}/certs" and source.audiences == {"caremesh"}
        assert key_source_for("https://other.example") is None
    finally:
        unregister_key_source(issuer)
