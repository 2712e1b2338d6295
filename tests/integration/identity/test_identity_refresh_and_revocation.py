"""Refresh tokens (rotation, down-selection, reuse detection), revocation and introspection."""

from __future__ import annotations

from identity_harness import IdentityApp, pkce_pair

SCOPE = "offline_access patient/Patient.rs patient/Observation.rs"


async def _tokens(identity: IdentityApp, scope: str = SCOPE) -> tuple[dict[str, str], tuple[str, str | None]]:
    client = await identity.app_client("offline_access online_access patient/*.rs")
    staff = await identity.user()
    verifier, challenge = pkce_pair()
    code = await identity.code_for(staff, identity.authorize_params(client[0], scope, challenge))
    response = await identity.exchange(code, verifier, client)
    assert response.status_code == 200, response.text
    return response.json(), client


async def _refresh(
    identity: IdentityApp, client: tuple[str, str | None], token: str, scope: str | None = None
):
    form = {"grant_type": "refresh_token", "refresh_token": token}
    if scope is not None:
        form["scope"] = scope
    assert client[1] is not None
    return await identity.token(form, auth=(client[0], client[1]))


async def _active(identity: IdentityApp, client: tuple[str, str | None], token: str) -> bool:
    assert client[1] is not None
    response = await identity.http.post(
        "/identity/introspect", data={"token": token}, auth=(client[0], client[1])
    )
    assert response.status_code == 200, response.text
    return bool(response.json()["active"])


async def test_refresh_without_scope_keeps_the_grant_and_rotates(identity: IdentityApp) -> None:
    first, client = await _tokens(identity)
    second = await _refresh(identity, client, first["refresh_token"])
    assert second.status_code == 200, second.text
    body = second.json()
    assert set(body["scope"].split()) == set(SCOPE.split())
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]


async def test_refresh_with_a_narrower_scope_down_selects(identity: IdentityApp) -> None:
    first, client = await _tokens(identity)
    narrower = await _refresh(identity, client, first["refresh_token"], "patient/Patient.read")
    assert narrower.status_code == 200, narrower.text
    assert narrower.json()["scope"] == "patient/Patient.rs"
    # The rotated refresh token still carries the original grant.
    again = await _refresh(identity, client, narrower.json()["refresh_token"])
    assert set(again.json()["scope"].split()) == set(SCOPE.split())


async def test_refresh_cannot_widen_the_scope(identity: IdentityApp) -> None:
    first, client = await _tokens(identity)
    wider = await _refresh(
        identity, client, first["refresh_token"], "patient/Patient.rs patient/Condition.rs"
    )
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


async def test_reusing_a_rotated_refresh_token_revokes_the_family(identity: IdentityApp) -> None:
    first, client = await _tokens(identity)
    second = (await _refresh(identity, client, first["refresh_token"])).json()
    replay = await _refresh(identity, client, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The legitimate holder's newer tokens die with the family.
    assert (await _refresh(identity, client, second["refresh_token"])).status_code == 400
    assert not await _active(identity, client, second["access_token"])
    answer = await identity.http.get(
        "/v1/schedules", headers={"authorization": f"Bearer {second['access_token']}"}
    )
    assert answer.status_code == 401


async def test_no_refresh_token_without_offline_or_online_access(identity: IdentityApp) -> None:
    token, _ = await _tokens(identity, scope="patient/Patient.rs")
    assert "refresh_token" not in token


async def test_revoked_token_and_its_refresh_are_rejected(identity: IdentityApp) -> None:
    token, client = await _tokens(identity)
    assert await _active(identity, client, token["access_token"])
    assert client[1] is not None
    revoked = await identity.http.post(
        "/identity/revoke", data={"token": token["access_token"]}, auth=(client[0], client[1])
    )
    assert revoked.status_code == 200
    assert not await _active(identity, client, token["access_token"])
    assert not await _active(identity, client, token["refresh_token"])
    assert (await _refresh(identity, client, token["refresh_token"])).status_code == 400
    answer = await identity.http.get(
        "/v1/schedules", headers={"authorization": f"Bearer {token['access_token']}"}
    )
    assert answer.status_code == 401


async def test_introspection_of_valid_and_invalid_tokens(identity: IdentityApp) -> None:
    token, client = await _tokens(identity)
    assert client[1] is not None
    valid = await identity.http.post(
        "/identity/introspect", data={"token": token["access_token"]}, auth=(client[0], client[1])
    )
    body = valid.json()
    assert body["active"] is True and body["client_id"] == client[0]
    assert set(body["scope"].split()) == set(SCOPE.split()) and body["exp"] > 0
    for bogus in ("garbage", token["access_token"][:-4] + "AAAA", "a.b.c"):
        assert not await _active(identity, client, bogus)


async def test_introspection_needs_client_authentication(identity: IdentityApp) -> None:
    token, _ = await _tokens(identity)
    response = await identity.http.post("/identity/introspect", data={"token": token["access_token"]})
    assert response.status_code == 401


async def test_token_endpoint_refuses_non_form_bodies(identity: IdentityApp) -> None:
    response = await identity.http.post("/identity/token", json={"grant_type": "client_credentials"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
