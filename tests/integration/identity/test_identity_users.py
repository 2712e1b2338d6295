"""Users: password policy, TOTP for staff, lockout with backoff, session expiry, admin API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from identity_harness import PASSWORD, IdentityApp, pkce_pair

from caremesh.kernel.security.tokens import issue_token, shared_secret
from caremesh.modules.identity.adapters.sealing import Sealer
from caremesh.modules.identity.application.users import UserService
from caremesh.modules.identity.domain.errors import LoginFailed
from caremesh.modules.identity.domain.passwords import WeakPassword
from caremesh.modules.identity.domain.sessions import SessionPolicy


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _service(identity: IdentityApp, clock: Clock) -> UserService:
    db = identity.runtime.contexts["identity"].db
    return UserService(db, Sealer(shared_secret()), clock=clock, sessions=SessionPolicy())


def _admin() -> dict[str, str]:
    token = issue_token(
        subject="admin-1", client_id="tests", kind="user", scopes=[], extra_claims={"roles": ["admin"]}
    )
    return {"authorization": f"Bearer {token}"}


async def test_staff_need_the_one_time_code(identity: IdentityApp) -> None:
    staff = await identity.user("nurse")
    assert staff.totp
    users = identity.deps.users
    with pytest.raises(LoginFailed):
        await users.authenticate(staff.username, PASSWORD, None)
    with pytest.raises(LoginFailed):
        await users.authenticate(staff.username, PASSWORD, "000000" if staff.otp() != "000000" else "111111")
    user = await users.authenticate(staff.username, PASSWORD, staff.otp())
    assert user.role == "nurse"


async def test_patients_log_in_without_a_second_factor(identity: IdentityApp) -> None:
    patient = await identity.user("patient", patient_id="pat-42")
    assert patient.totp is None
    user = await identity.deps.users.authenticate(patient.username, PASSWORD, None)
    assert user.patient_id == "pat-42" and user.fhir_user == "Patient/pat-42"


async def test_lockout_with_exponential_backoff(identity: IdentityApp) -> None:
    clock = Clock()
    users = _service(identity, clock)
    staff = await identity.user("pharmacist")
    wrong = "Wrong-Password-123456"
    for _ in range(5):
        with pytest.raises(LoginFailed):
            await users.authenticate(staff.username, wrong, staff.otp(clock.now))
    # Locked for 30 s: even the right credentials fail, with the same message as a wrong password.
    with pytest.raises(LoginFailed):
        await users.authenticate(staff.username, PASSWORD, staff.otp(clock.now))
    clock.now += timedelta(seconds=31)
    with pytest.raises(LoginFailed):  # the next failure doubles the lock to 60 s
        await users.authenticate(staff.username, wrong, staff.otp(clock.now))
    clock.now += timedelta(seconds=31)
    with pytest.raises(LoginFailed):
        await users.authenticate(staff.username, PASSWORD, staff.otp(clock.now))
    clock.now += timedelta(seconds=30)
    assert (
        await users.authenticate(staff.username, PASSWORD, staff.otp(clock.now))
    ).username == staff.username
    # Success resets the counter: one more failure does not lock.
    clock.now += timedelta(seconds=30)
    with pytest.raises(LoginFailed):
        await users.authenticate(staff.username, wrong, staff.otp(clock.now))
    assert (
        await users.authenticate(staff.username, PASSWORD, staff.otp(clock.now))
    ).username == staff.username


async def test_a_one_time_code_is_accepted_once(identity: IdentityApp) -> None:
    staff = await identity.user("nurse")
    code = staff.otp()
    await identity.deps.users.authenticate(staff.username, PASSWORD, code)
    with pytest.raises(LoginFailed):
        await identity.deps.users.authenticate(staff.username, PASSWORD, code)


async def test_an_unknown_user_fails_like_a_wrong_password(identity: IdentityApp) -> None:
    with pytest.raises(LoginFailed) as unknown:
        await identity.deps.users.authenticate("nobody-here", PASSWORD, None)
    staff = await identity.user()
    with pytest.raises(LoginFailed) as wrong:
        await identity.deps.users.authenticate(staff.username, "Wrong-Password-123456", staff.otp())
    assert str(unknown.value) == str(wrong.value)


@pytest.mark.parametrize("password", ["short-pw", "password1234", "Synthetic-jdoe-Password"])
async def test_password_policy(identity: IdentityApp, password: str) -> None:
    with pytest.raises(WeakPassword):
        await identity.deps.users.create(username="jdoe", password=password, role="clinician")


async def test_sessions_log_off_when_idle_and_expire(identity: IdentityApp) -> None:
    clock = Clock()
    users = _service(identity, clock)
    staff = await identity.user()
    user = await users.authenticate(staff.username, PASSWORD, staff.otp(clock.now))
    session = await users.start_session(user)
    clock.now += timedelta(minutes=10)
    assert await users.session_user(session) is not None  # activity restarts the idle timer
    clock.now += timedelta(minutes=14)
    assert await users.session_user(session) is not None
    clock.now += timedelta(minutes=16)
    assert await users.session_user(session) is None  # idle logoff
    assert await users.session_user(session) is None  # and it stays ended


async def test_login_form_failure_is_generic_and_401(identity: IdentityApp) -> None:
    client = await identity.app_client("patient/*.rs")
    staff = await identity.user()
    _, challenge = pkce_pair()
    params = identity.authorize_params(client[0], "patient/*.rs", challenge)
    login = await identity.login(staff, params, password="Wrong-Password-123456")
    assert login.status_code == 401
    assert "not valid" in login.text and "set-cookie" not in login.headers


async def test_admin_api_creates_users_and_clients(identity: IdentityApp) -> None:
    user = await identity.http.post(
        "/v1/identity/users",
        json={"username": "dr.synthetic", "password": PASSWORD, "role": "clinician"},
        headers=_admin(),
    )
    assert user.status_code == 201, user.text
    assert pyotp.TOTP(user.json()["totp_secret"]).now()
    client = await identity.http.post(
        "/v1/identity/clients",
        json={"name": "lab feed", "scope": "system/Observation.cruds"},
        headers=_admin(),
    )
    assert client.status_code == 201, client.text
    body = client.json()
    token = await identity.token(
        {"grant_type": "client_credentials"}, auth=(body["client_id"], body["client_secret"])
    )
    assert token.status_code == 200 and token.json()["scope"] == "system/Observation.cruds"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "x.mass", "password": PASSWORD, "role": "clinician", "failed_attempts": 0},
        {"username": "x.weak", "password": "short", "role": "clinician"},
        {"username": "x.role", "password": PASSWORD, "role": "superuser"},
        {"username": "x.patient", "password": PASSWORD, "role": "patient"},
    ],
    ids=["mass-assignment", "weak-password", "unknown-role", "unlinked-patient"],
)
async def test_admin_api_rejects_bad_users(identity: IdentityApp, body: dict[str, Any]) -> None:
    response = await identity.http.post("/v1/identity/users", json=body, headers=_admin())
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_admin_api_needs_the_admin_role(identity: IdentityApp) -> None:
    token = issue_token(
        subject="c-1", client_id="tests", kind="user", scopes=[], extra_claims={"roles": ["clinician"]}
    )
    body = {"name": "x", "scope": "system/*.rs"}
    response = await identity.http.post(
        "/v1/identity/clients", json=body, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
