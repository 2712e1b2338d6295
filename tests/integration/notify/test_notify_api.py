"""The HTTP API: recipients' preferences, the notification log, ad-hoc sends with Idempotency-Key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from notify_fakes import PATIENT, FakeSmtp
from notify_harness import NotifyHarness, StartNotify, smtp_config

from caremesh.apps.asgi import build_app
from caremesh.kernel.security.tokens import issue_token

PROBLEM = "application/problem+json"
RECIPIENT = {
    "preferred_name": "Robin Test",
    "email": "robin.test@example.org",
    "phone": "+12025550123",
    "channels": ["email", "sms"],
    "opted_out_categories": ["appointment-reminders"],
    "timezone": "Europe/Berlin",
}
REMINDER_VARIABLES = {
    "appointment_id": "appt-t-0001",
    "start": "2030-01-15T09:00:00+00:00",
    "end": "2030-01-15T09:30:00+00:00",
    "service_type": None,
}


@dataclass
class Api:
    client: httpx.AsyncClient
    notify: NotifyHarness

    async def send(self, body: dict[str, Any], key: str | None = "key-0001") -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return await self.client.post("/v1/notifications", json=body, headers=headers)


@pytest.fixture
async def api(start_notify: StartNotify, smtp: FakeSmtp) -> AsyncIterator[Api]:
    notify = await start_notify(smtp_config(smtp.port))
    token = issue_token(subject="user-t-0001", client_id="portal-test", kind="user", scopes=["notify"])
    transport = httpx.ASGITransport(app=build_app(notify.runtime, start_runtime=False))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://notify.test", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield Api(client, notify)


async def test_preferences_are_stored_and_read_back(api: Api) -> None:
    put = await api.client.put(f"/v1/notify/recipients/{PATIENT}", json=RECIPIENT)
    assert put.status_code == 200, put.text
    got = await api.client.get(f"/v1/notify/recipients/{PATIENT}")
    assert got.json() == {**RECIPIENT, "patient_id": PATIENT, "push_token": None}


async def test_invalid_preferences_are_refused_with_every_reason(api: Api) -> None:
    body = {**RECIPIENT, "email": "nope", "timezone": "Mars/Base", "channels": ["email", "sms", "push"]}
    response = await api.client.put(f"/v1/notify/recipients/{PATIENT}", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"] == [
        "email: not a valid email address",
        "timezone: unknown IANA time zone 'Mars/Base'",
        "channels: push is enabled but has no contact point",
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("put", f"/v1/notify/recipients/{PATIENT}", {**RECIPIENT, "fax": "+1"}, 422),
        ("put", f"/v1/notify/recipients/{PATIENT}", {"channels": "email"}, 422),
        ("put", "/v1/notify/recipients/bad%20id", RECIPIENT, 400),
        ("get", "/v1/notify/recipients/pat-t-nobody", None, 404),
        ("get", "/v1/notifications", None, 400),
        ("get", f"/v1/notifications?patient_id={PATIENT}&limit=0", None, 400),
        ("get", "/v1/notifications/ntf-t-missing", None, 404),
    ],
)
async def test_bad_requests_get_precise_problems(
    api: Api, method: str, path: str, body: dict[str, Any] | None, status: int
) -> None:
    response = await api.client.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM


async def test_requests_without_a_token_are_unauthorized(api: Api) -> None:
    response = await api.client.get(f"/v1/notify/recipients/{PATIENT}", headers={"Authorization": ""})
    assert response.status_code == 401


async def test_an_ad_hoc_send_is_idempotent_and_delivered(api: Api, smtp: FakeSmtp) -> None:
    await api.client.put(f"/v1/notify/recipients/{PATIENT}", json={**RECIPIENT, "opted_out_categories": []})
    body = {"patient_id": PATIENT, "template": "appointment_reminder", "variables": REMINDER_VARIABLES,
            "channels": ["email"]}  # fmt: skip

    first = await api.send(body)
    replay = await api.send(body)

    assert first.status_code == 202, first.text
    assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    [created] = first.json()["notifications"]
    assert (created["channel"], created["template"], created["status"]) == (
        "email",
        "appointment_reminder",
        "pending",
    )
    await api.notify.wait_status("delivered", "id = $1", created["id"])
    assert len(smtp.messages) == 1 and "10:00 CET" in smtp.messages[0]["Subject"]  # 09:00 UTC in Berlin

    view = (await api.client.get(f"/v1/notifications/{created['id']}")).json()
    assert (view["status"], view["attempts"], view["last_error"]) == ("delivered", 1, None)
    assert [a["outcome"] for a in view["history"]] == ["delivered"]
    listing = (await api.client.get("/v1/notifications", params={"patient_id": PATIENT})).json()
    assert [item["id"] for item in listing["items"]] == [created["id"]]


async def test_an_ad_hoc_send_respects_the_patients_opt_out(api: Api) -> None:
    await api.client.put(f"/v1/notify/recipients/{PATIENT}", json=RECIPIENT)
    body = {"patient_id": PATIENT, "template": "appointment_reminder", "variables": REMINDER_VARIABLES}
    response = await api.send(body)
    assert response.status_code == 202
    assert {(n["channel"], n["status"], n["last_error"]) for n in response.json()["notifications"]} == {
        ("email", "skipped", "opted-out:appointment-reminders"),
        ("sms", "skipped", "opted-out:appointment-reminders"),
    }


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"template": "birthday_greeting"}, "unknown template 'birthday_greeting'"),
        ({"variables": {"appointment_id": "x"}}, "'start' is undefined"),
        ({"variables": {**REMINDER_VARIABLES, "start": "next tuesday"}}, "Invalid isoformat"),
        ({"channels": ["fax"]}, "unknown channel(s) fax"),
        ({"patient_id": "pat-t-nobody"}, "no contact preferences"),
    ],
)
async def test_an_ad_hoc_send_that_cannot_work_is_refused(
    api: Api, change: dict[str, Any], detail: str
) -> None:
    await api.client.put(f"/v1/notify/recipients/{PATIENT}", json={**RECIPIENT, "opted_out_categories": []})
    body = {
        "patient_id": PATIENT,
        "template": "appointment_reminder",
        "variables": REMINDER_VARIABLES,
        **change,
    }
    response = await api.send(body)
    assert response.status_code == 422, response.text
    assert detail in response.json()["detail"]
    assert await api.notify.rows() == []


async def test_an_ad_hoc_send_needs_an_idempotency_key(api: Api) -> None:
    body = {"patient_id": PATIENT, "template": "appointment_reminder", "variables": REMINDER_VARIABLES}
    response = await api.send(body, key=None)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
