"""Notifications and preferences over /v1: patients see only their own, staff per role, all audited."""

from __future__ import annotations

from typing import Any

from v1access_harness import PROBLEM, CareApp, bearer, patient_token, running, staff

from caremesh.kernel.ids import new_id

PREFERENCES = {"email": "canary.v1access@example.org", "channels": ["email"], "timezone": "Europe/Berlin"}


async def _confirmation_of(app: CareApp, patient_id: str) -> dict[str, Any]:
    """Booking an appointment makes notify write notifications (confirmation, reminders) for the patient."""
    await app.book(patient_id)
    while await app.runtime.drain_outboxes():
        pass
    listed = await app.client.get("/v1/notifications", params={"patient_id": patient_id}, headers=staff())
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert items and {item["patient_id"] for item in items} == {patient_id}
    return dict(items[0])


async def test_a_patient_reads_only_their_own_notifications(database_url: str) -> None:
    alice, bob = f"pat-a-{new_id()}", f"pat-b-{new_id()}"
    async with running(database_url) as app:
        notification = await _confirmation_of(app, alice)
        path = f"/v1/notifications/{notification['id']}"
        own = await app.client.get(path, headers=patient_token(alice))
        theirs = await app.client.get(path, headers=patient_token(bob))
        missing = await app.client.get("/v1/notifications/ntf-missing", headers=patient_token(bob))
        their_list = await app.client.get(
            "/v1/notifications", params={"patient_id": alice}, headers=patient_token(bob)
        )
        nurse = await app.client.get(path, headers=bearer("nurse-1", "nurse"))
        billing = await app.client.get(path, headers=bearer("billing-1", "billing"))
        events = await app.audit_rows("notify")
    assert own.status_code == nurse.status_code == 200 and own.json()["patient_id"] == alice
    assert theirs.status_code == missing.status_code == their_list.status_code == billing.status_code == 403
    assert theirs.headers["content-type"] == PROBLEM and theirs.json()["detail"] == missing.json()["detail"]
    assert alice not in theirs.text
    reads = [e for e in events if e["subtype"][0]["code"] == "read"]
    assert [(e["outcome"], e["agent"][0]["who"]["identifier"]["value"]) for e in reads] == [
        ("0", f"user-{alice}"), ("4", f"user-{bob}"), ("4", f"user-{bob}"), ("0", "nurse-1"),
        ("4", "billing-1"),
    ]  # fmt: skip
    assert {"Patient/" + alice, "Communication/" + notification["id"]} <= {
        entity.get("what", {}).get("reference") for entity in reads[0]["entity"]
    }


async def test_patients_manage_only_their_own_preferences(database_url: str) -> None:
    alice, bob = f"pat-a-{new_id()}", f"pat-b-{new_id()}"
    async with running(database_url) as app:
        put = await app.client.put(
            f"/v1/notify/recipients/{alice}", json=PREFERENCES, headers=patient_token(alice)
        )
        own = await app.client.get(f"/v1/notify/recipients/{alice}", headers=patient_token(alice))
        theirs = await app.client.get(f"/v1/notify/recipients/{alice}", headers=patient_token(bob))
        missing = await app.client.get("/v1/notify/recipients/pat-nobody", headers=patient_token(bob))
        overwrite = await app.client.put(
            f"/v1/notify/recipients/{alice}", json={**PREFERENCES, "email": "x@example.org"},
            headers=patient_token(bob),
        )  # fmt: skip
        nurse_write = await app.client.put(
            f"/v1/notify/recipients/{alice}", json=PREFERENCES, headers=bearer("nurse-1", "nurse")
        )
        after = await app.client.get(f"/v1/notify/recipients/{alice}", headers=staff())
        events = await app.audit_rows("notify")
    assert put.status_code == own.status_code == after.status_code == 200
    assert after.json()["email"] == PREFERENCES["email"]
    assert (
        theirs.status_code == missing.status_code == overwrite.status_code == nurse_write.status_code == 403
    )
    assert theirs.json()["detail"] == missing.json()["detail"] and "canary" not in theirs.text
    assert [(e["subtype"][0]["code"], e["outcome"]) for e in events] == [
        ("update", "0"), ("read", "0"), ("read", "4"), ("read", "4"), ("update", "4"), ("update", "4"),
        ("read", "0"),
    ]  # fmt: skip


async def test_a_patient_cannot_send_ad_hoc_notifications(database_url: str) -> None:
    alice = f"pat-a-{new_id()}"
    async with running(database_url) as app:
        body = {"patient_id": alice, "template": "appointment_reminder", "variables": {}}
        sent = await app.client.post(
            "/v1/notifications", json=body, headers={**patient_token(alice), "Idempotency-Key": new_id()}
        )
    assert sent.status_code == 403 and sent.headers["content-type"] == PROBLEM


async def test_no_notification_data_is_returned_when_the_audit_cannot_be_written(database_url: str) -> None:
    alice = f"pat-a-{new_id()}"
    async with running(database_url) as app:
        await app.client.put(f"/v1/notify/recipients/{alice}", json=PREFERENCES, headers=staff())
        await app.break_audit("notify")
        response = await app.client.get(f"/v1/notify/recipients/{alice}", headers=patient_token(alice))
    assert response.status_code == 503 and response.headers["content-type"] == PROBLEM
    assert "canary" not in response.text
