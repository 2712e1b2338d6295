"""Discovery documents and the JWKS, key rotation, and tokens accepted by other modules' APIs."""

from __future__ import annotations

from identity_harness import FHIR_BASE, ISSUER, TOKEN_PATH, IdentityApp

from caremesh.kernel.security.key_sources import key_source_for
from caremesh.kernel.security.tokens import issue_token


async def test_smart_configuration_is_served_at_both_well_known_paths(identity: IdentityApp) -> None:
    for path in ("/.well-known/smart-configuration", "/fhir/R4/.well-known/smart-configuration"):
        response = await identity.http.get(path)
        assert response.status_code == 200
        body = response.json()
        assert body["issuer"] == ISSUER
        assert body["token_endpoint"] == f"{ISSUER}{TOKEN_PATH}"
        assert body["code_challenge_methods_supported"] == ["S256"]
        assert {"authorization_code", "client_credentials", "refresh_token"} <= set(
            body["grant_types_supported"]
        )
        assert "private_key_jwt" in body["token_endpoint_auth_methods_supported"]
        assert "permission-v2" in body["capabilities"]


async def test_jwks_publishes_public_keys_only(identity: IdentityApp) -> None:
    for path in ("/.well-known/jwks.json", "/identity/jwks"):
        keys = (await identity.http.get(path)).json()["keys"]
        assert len(keys) == 1
        assert keys[0]["kty"] == "EC" and keys[0]["crv"] == "P-384"
        assert "d" not in keys[0]


async def test_rotation_signs_with_the_new_key_and_keeps_the_old_one_published(identity: IdentityApp) -> None:
    client_id, secret = await identity.backend_client()
    before = await identity.token({"grant_type": "client_credentials"}, auth=(client_id, secret))
    old_token = before.json()["access_token"]
    admin = issue_token(
        subject="admin-1", client_id="tests", kind="user", scopes=[], extra_claims={"roles": ["admin"]}
    )
    rotated = await identity.http.post(
        "/v1/identity/keys/rotate", headers={"authorization": f"Bearer {admin}"}
    )
    assert rotated.status_code == 200, rotated.text
    new_kid = rotated.json()["active_kid"]
    kids = [key["kid"] for key in (await identity.http.get("/.well-known/jwks.json")).json()["keys"]]
    assert len(kids) == 2 and kids[0] == new_kid
    after = await identity.token({"grant_type": "client_credentials"}, auth=(client_id, secret))
    ring = key_source_for(ISSUER)
    assert ring is not None
    # Both tokens still open another module's API: the old key stays trusted until its tokens expire.
    for token in (old_token, after.json()["access_token"]):
        answer = await identity.http.get("/v1/schedules", headers={"authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text


async def test_rotation_needs_the_admin_role(identity: IdentityApp) -> None:
    nurse = issue_token(
        subject="nurse-1", client_id="tests", kind="user", scopes=[], extra_claims={"roles": ["nurse"]}
    )
    response = await identity.http.post(
        "/v1/identity/keys/rotate", headers={"authorization": f"Bearer {nurse}"}
    )
    assert response.status_code == 403
    assert (await identity.http.post("/v1/identity/keys/rotate")).status_code == 401


async def test_aud_of_issued_tokens_names_the_fhir_server(identity: IdentityApp) -> None:
    client_id, secret = await identity.backend_client()
    response = await identity.token({"grant_type": "client_credentials"}, auth=(client_id, secret))
    introspected = await identity.http.post(
        "/identity/introspect", data={"token": response.json()["access_token"]}, auth=(client_id, secret)
    )
    assert FHIR_BASE in introspected.json()["aud"]
