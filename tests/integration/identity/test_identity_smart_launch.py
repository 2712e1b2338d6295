"""SMART App Launch: the checks of the ONC (g)(10) suite, rewritten as our own tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from identity_harness import FHIR_BASE, REDIRECT, IdentityApp, pkce_pair
from joserfc import jwt
from joserfc.jwk import KeySet

SCOPE = "launch/patient openid fhirUser offline_access patient/Patient.rs patient/Observation.rs"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _launch(
    identity: IdentityApp, scope: str = SCOPE, **consent: object
) -> tuple[dict[str, Any], tuple[str, str | None]]:
    client = await identity.app_client(
        "launch/patient openid fhirUser offline_access patient/*.rs user/*.cruds"
    )
    staff = await identity.user("clinician", fhir_user="Practitioner/prac-1")
    verifier, challenge = pkce_pair()
    params = identity.authorize_params(client[0], scope, challenge)
    code = await identity.code_for(staff, params, patient="pat-123", **consent)
    response = await identity.exchange(code, verifier, client)
    assert response.status_code == 200, response.text
    return response.json(), client


async def test_unauthenticated_requests_are_401(identity: IdentityApp) -> None:
    response = await identity.http.get("/v1/schedules")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


async def test_standalone_launch_issues_a_token_with_launch_context(identity: IdentityApp) -> None:
    token, _ = await _launch(identity)
    assert token["patient"] == "pat-123"
    assert token["token_type"] == "Bearer" and 0 < token["expires_in"] <= 3600
    assert set(token["scope"].split()) == set(SCOPE.split())
    assert token["refresh_token"]
    jwks = KeySet.import_key_set((await identity.http.get("/.well-known/jwks.json")).json())
    id_token = jwt.decode(token["id_token"], jwks, algorithms=["ES384"]).claims
    assert id_token["fhirUser"] == f"{FHIR_BASE}/Practitioner/prac-1"
    access = jwt.decode(token["access_token"], jwks, algorithms=["ES384"]).claims
    assert access["patient"] == "pat-123" and access["roles"] == ["clinician"] and access["jti"]
    assert access["exp"] - access["iat"] <= 3600
    # The token opens another module's API of the same deployment.
    assert (
        await identity.http.get("/v1/schedules", headers=bearer(token["access_token"]))
    ).status_code == 200


async def test_deselected_resource_types_are_not_granted(identity: IdentityApp) -> None:
    kept = ["launch/patient", "openid", "fhirUser", "patient/Patient.rs"]
    token, _ = await _launch(identity, keep=kept)
    assert set(token["scope"].split()) == set(kept)
    assert "refresh_token" not in token  # offline_access was deselected too


async def test_v1_scopes_are_accepted_and_granted_as_v2(identity: IdentityApp) -> None:
    token, _ = await _launch(identity, scope="launch/patient patient/Observation.read", keep=None)
    assert set(token["scope"].split()) == {"launch/patient", "patient/Observation.rs"}


async def test_invalid_code_and_invalid_client_are_rejected(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs launch/patient")
    staff = await identity.user()
    verifier, challenge = pkce_pair()
    code = await identity.code_for(staff, identity.authorize_params(client[0], "patient/*.rs", challenge))
    wrong_client = await identity.exchange(code, verifier, (client[0], "not-the-secret"))
    assert wrong_client.status_code == 401 and wrong_client.json()["error"] == "invalid_client"
    bad_code = await identity.exchange("not-a-code", verifier, client)
    assert bad_code.status_code == 400 and bad_code.json()["error"] == "invalid_grant"


async def test_a_code_is_single_use_and_reuse_revokes_its_tokens(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs")
    staff = await identity.user()
    verifier, challenge = pkce_pair()
    code = await identity.code_for(staff, identity.authorize_params(client[0], "patient/*.rs", challenge))
    first = await identity.exchange(code, verifier, client)
    assert first.status_code == 200
    second = await identity.exchange(code, verifier, client)
    assert second.json()["error"] == "invalid_grant"
    answer = await identity.http.get("/v1/schedules", headers=bearer(first.json()["access_token"]))
    assert answer.status_code == 401


async def test_pkce_is_required_and_only_s256(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs")
    staff = await identity.user()
    await identity.login(staff, identity.authorize_params(client[0], "patient/*.rs", None))
    for extra in ({}, {"code_challenge": "x" * 43, "code_challenge_method": "plain"}):
        params = identity.authorize_params(client[0], "patient/*.rs", None, **extra)
        response = await identity.http.get("/identity/authorize", params=params)
        assert response.status_code == 302
        location = parse_qs(urlsplit(response.headers["location"]).query)
        assert location["error"] == ["invalid_request"] and "code" not in location


async def test_missing_blank_wrong_and_plain_verifiers_are_rejected(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs")
    staff = await identity.user()
    for verifier in (None, "", "w" * 43, "plain"):
        _, challenge = pkce_pair()
        code = await identity.code_for(staff, identity.authorize_params(client[0], "patient/*.rs", challenge))
        sent = challenge if verifier == "plain" else verifier  # "plain": the challenge itself as verifier
        response = await identity.exchange(code, sent, client)
        assert response.status_code == 400, verifier
        assert response.json()["error"] in ("invalid_request", "invalid_grant")


async def test_invalid_aud_gets_no_code(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs")
    _, challenge = pkce_pair()
    params = identity.authorize_params(client[0], "patient/*.rs", challenge, aud="https://evil.example/fhir")
    response = await identity.http.get("/identity/authorize", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_unknown_redirect_uri_is_not_redirected_to(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs")
    _, challenge = pkce_pair()
    params = identity.authorize_params(
        client[0], "patient/*.rs", challenge, redirect_uri="https://evil.example/cb"
    )
    response = await identity.http.get("/identity/authorize", params=params)
    assert response.status_code == 400 and "location" not in response.headers


async def test_denied_consent_redirects_with_access_denied(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs")
    staff = await identity.user()
    _, challenge = pkce_pair()
    params = identity.authorize_params(client[0], "patient/*.rs", challenge)
    await identity.login(staff, params)
    answer = await identity.consent(params, decision="deny")
    assert answer.headers["location"].startswith(REDIRECT)
    assert parse_qs(urlsplit(answer.headers["location"]).query)["error"] == ["access_denied"]


async def test_public_client_with_pkce(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs", public=True)
    staff = await identity.user("patient", patient_id="pat-777")
    verifier, challenge = pkce_pair()
    code = await identity.code_for(staff, identity.authorize_params(client[0], "patient/*.rs", challenge))
    response = await identity.exchange(code, verifier, client)
    assert response.status_code == 200, response.text
    assert response.json()["patient"] == "pat-777"  # a patient user is confined to their own record


async def test_a_role_never_gets_more_than_its_ceiling(identity: IdentityApp) -> None:
    client = await identity.app_client("user/*.cruds patient/*.cruds")
    researcher = await identity.user("researcher")
    verifier, challenge = pkce_pair()
    params = identity.authorize_params(client[0], "user/*.cruds patient/Observation.rs", challenge)
    await identity.login(researcher, params)
    researcher.logged_in = True
    answer = await identity.consent(params, keep=["user/*.rs"])  # what the consent page offers
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    token = await identity.exchange(code, verifier, client)
    assert token.json()["scope"] == "user/*.rs"  # read-only, and no patient-context access
