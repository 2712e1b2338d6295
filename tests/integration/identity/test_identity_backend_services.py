"""SMART Backend Services (client_credentials + private_key_jwt) and client_secret_basic clients."""

from __future__ import annotations

import time

from identity_harness import ISSUER, IdentityApp, assertion_form, client_assertion
from joserfc import jwt
from joserfc.jwk import ECKey


async def test_private_key_jwt_client_gets_a_system_token(identity: IdentityApp) -> None:
    client_id, key = await identity.key_client("system/*.rs")
    response = await identity.token(
        assertion_form(client_assertion(client_id, key), "system/Observation.read")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "system/Observation.rs" and "refresh_token" not in body
    answer = await identity.http.get(
        "/v1/schedules", headers={"authorization": f"Bearer {body['access_token']}"}
    )
    assert answer.status_code == 200


async def test_a_replayed_assertion_jti_is_rejected(identity: IdentityApp) -> None:
    client_id, key = await identity.key_client()
    assertion = client_assertion(client_id, key, jti="once-only")
    assert (await identity.token(assertion_form(assertion))).status_code == 200
    replay = await identity.token(assertion_form(assertion))
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_client"
    fresh_but_same_jti = client_assertion(client_id, key, jti="once-only")
    assert (await identity.token(assertion_form(fresh_but_same_jti))).json()["error"] == "invalid_client"


async def test_an_assertion_expiring_more_than_five_minutes_ahead_is_rejected(identity: IdentityApp) -> None:
    client_id, key = await identity.key_client()
    response = await identity.token(assertion_form(client_assertion(client_id, key, lifetime=600)))
    assert response.status_code == 400 and response.json()["error"] == "invalid_client"


async def test_an_assertion_for_another_audience_or_expired_is_rejected(identity: IdentityApp) -> None:
    client_id, key = await identity.key_client()
    wrong_aud = client_assertion(client_id, key, aud=f"{ISSUER}/somewhere-else")
    assert (await identity.token(assertion_form(wrong_aud))).json()["error"] == "invalid_client"
    expired = client_assertion(client_id, key, lifetime=-120)
    assert (await identity.token(assertion_form(expired))).json()["error"] == "invalid_client"


async def test_an_assertion_signed_with_an_unregistered_key_is_rejected(identity: IdentityApp) -> None:
    client_id, key = await identity.key_client()
    other = ECKey.generate_key("P-384", parameters={"kid": str(key.kid)}, private=True)
    response = await identity.token(assertion_form(client_assertion(client_id, other)))
    assert response.json()["error"] == "invalid_client"


async def test_an_assertion_with_a_weak_or_absent_algorithm_is_rejected(identity: IdentityApp) -> None:
    client_id, key = await identity.key_client()
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{ISSUER}/identity/token",
        "exp": now + 60,
        "jti": "n1",
    }
    es256 = ECKey.generate_key("P-256", private=True)
    weak = jwt.encode({"alg": "ES256"}, claims, es256, algorithms=["ES256"])
    assert (await identity.token(assertion_form(weak))).json()["error"] == "invalid_client"
    header = jwt.encode({"alg": "ES384", "kid": key.kid}, claims, key, algorithms=["ES384"]).split(".")
    unsigned = ".".join([_b64('{"alg":"none"}'), header[1], ""])
    assert (await identity.token(assertion_form(unsigned))).json()["error"] == "invalid_client"


async def test_client_secret_basic_and_scope_down_selection(identity: IdentityApp) -> None:
    client_id, secret = await identity.backend_client("system/Patient.rs system/Observation.rs")
    granted = await identity.token(
        {"grant_type": "client_credentials", "scope": "system/Observation.rs system/Condition.rs"},
        auth=(client_id, secret),
    )
    assert granted.status_code == 200 and granted.json()["scope"] == "system/Observation.rs"
    nothing = await identity.token(
        {"grant_type": "client_credentials", "scope": "system/Condition.rs"}, auth=(client_id, secret)
    )
    assert nothing.status_code == 400 and nothing.json()["error"] == "invalid_scope"
    wrong = await identity.token({"grant_type": "client_credentials"}, auth=(client_id, "wrong-secret"))
    assert wrong.status_code == 401


async def test_a_service_client_token_is_admitted_to_internal_rpc(identity: IdentityApp) -> None:
    client_id, secret = await identity.backend_client("caremesh/rpc", kind="service")
    token = (await identity.token({"grant_type": "client_credentials"}, auth=(client_id, secret))).json()
    backend_id, backend_secret = await identity.backend_client("system/*.rs")
    backend = (
        await identity.token({"grant_type": "client_credentials"}, auth=(backend_id, backend_secret))
    ).json()
    path = "/internal/rpc/scheduling/get_appointment"
    body = {"appointment_id": "none"}
    as_service = await identity.http.post(
        path, json=body, headers={"authorization": f"Bearer {token['access_token']}"}
    )
    as_backend = await identity.http.post(
        path, json=body, headers={"authorization": f"Bearer {backend['access_token']}"}
    )
    assert as_service.status_code == 200, as_service.text
    assert as_backend.status_code == 403


def _b64(text: str) -> str:
    import base64

    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


async def test_private_key_jwt_at_introspection_is_replay_protected_too(identity: IdentityApp) -> None:
    client_id, key = await identity.key_client()
    token = (await identity.token(assertion_form(client_assertion(client_id, key)))).json()["access_token"]
    form = {
        "token": token,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": client_assertion(client_id, key, jti="introspect-once"),
    }
    first = await identity.http.post("/identity/introspect", data=form)
    assert first.status_code == 200 and first.json()["active"] is True
    replay = await identity.http.post("/identity/introspect", data=form)
    assert replay.json().get("error") == "invalid_client"
