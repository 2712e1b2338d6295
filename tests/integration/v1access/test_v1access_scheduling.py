"""Appointments over /v1 and /v2: patients see only their own, staff per role, every access audited."""

from __future__ import annotations

import pytest
from v1access_harness import PROBLEM, bearer, patient_token, running, staff

from caremesh.kernel.ids import new_id


def _refusal_shape(response_json: dict[str, object]) -> dict[str, object]:
    """The parts of a problem that may not differ between a missing and someone else's record."""
    return {key: value for key, value in response_json.items() if key not in {"instance", "request_id"}}


async def test_a_patient_reads_their_own_appointment_and_it_is_audited(database_url: str) -> None:
    alice = f"pat-a-{new_id()}"
    async with running(database_url) as app:
        booked = await app.book(alice)
        before = len(await app.audit_rows("scheduling"))
        for version in ("v1", "v2"):
            own = await app.client.get(
                f"/{version}/appointments/{booked['id']}", headers=patient_token(alice)
            )
            assert own.status_code == 200, own.text
        events = (await app.audit_rows("scheduling"))[before:]
    assert [(e["subtype"][0]["code"], e["action"], e["outcome"]) for e in events] == [("read", "R", "0")] * 2
    references = {entity.get("what", {}).get("reference") for entity in events[0]["entity"]}
    assert {f"Patient/{alice}", f"Appointment/{booked['id']}"} <= references
    assert events[0]["source"]["observer"]["display"] == "caremesh/scheduling"
    assert events[0]["agent"][0]["who"]["identifier"]["value"] == f"user-{alice}"


@pytest.mark.parametrize("version", ["v1", "v2"])
async def test_another_patients_appointment_looks_exactly_like_a_missing_one(
    database_url: str, version: str
) -> None:
    alice, bob = f"pat-a-{new_id()}", f"pat-b-{new_id()}"
    async with running(database_url) as app:
        booked = await app.book(alice)
        as_bob = patient_token(bob)
        theirs = await app.client.get(f"/{version}/appointments/{booked['id']}", headers=as_bob)
        missing = await app.client.get(f"/{version}/appointments/appt-nope", headers=as_bob)
        events = await app.audit_rows("scheduling")
    assert theirs.status_code == missing.status_code == 403
    assert theirs.headers["content-type"] == missing.headers["content-type"] == PROBLEM
    assert _refusal_shape(theirs.json()) == _refusal_shape(missing.json())
    assert alice not in theirs.text and "check-up" not in theirs.text
    refused = [e for e in events if e["outcome"] == "4"]
    assert len(refused) == 2 and all(e["subtype"][0]["code"] == "read" for e in refused)


async def test_patients_cannot_list_book_or_cancel_for_someone_else(database_url: str) -> None:
    alice, bob = f"pat-a-{new_id()}", f"pat-b-{new_id()}"
    async with running(database_url) as app:
        booked = await app.book(alice)
        as_bob = patient_token(bob)
        listed = await app.client.get("/v1/appointments", params={"patient_id": alice}, headers=as_bob)
        by_schedule = await app.client.get(
            "/v1/appointments", params={"schedule_id": booked["schedule_id"]}, headers=as_bob
        )
        cancel = await app.client.post(f"/v1/appointments/{booked['id']}/cancel", headers=as_bob)
        book_for_alice = await app.client.post(
            "/v1/appointments", json={"slot_id": booked["slot_id"], "patient_id": alice},
            headers={**as_bob, "Idempotency-Key": new_id()},
        )  # fmt: skip
        outcome = await app.client.post(
            f"/v1/appointments/{booked['id']}/outcome",
            json={"status": "noshow"},
            headers=patient_token(alice),
        )
        still = await app.client.get(f"/v1/appointments/{booked['id']}", headers=staff())
        own_list = await app.client.get("/v1/appointments", params={"patient_id": alice},
                                        headers=patient_token(alice))  # fmt: skip
    assert (
        listed.status_code == cancel.status_code == outcome.status_code == book_for_alice.status_code == 403
    )
    assert by_schedule.status_code == 200 and by_schedule.json()["items"] == []  # confined to bob's own
    assert still.json()["status"] == "booked"
    assert [item["id"] for item in own_list.json()["items"]] == [booked["id"]]


async def test_a_patient_books_and_cancels_their_own_appointment(database_url: str) -> None:
    alice = f"pat-a-{new_id()}"
    async with running(database_url) as app:
        booked = await app.book(alice, headers=patient_token(alice))
        cancelled = await app.client.post(
            f"/v1/appointments/{booked['id']}/cancel", headers=patient_token(alice)
        )
        events = await app.audit_rows("scheduling")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    mine = [e for e in events if e["agent"][0]["who"]["identifier"]["value"] == f"user-{alice}"]
    assert [(e["subtype"][0]["code"], e["action"]) for e in mine] == [("create", "C"), ("update", "U")]


@pytest.mark.parametrize(
    ("roles", "allowed"),
    [(("clinician",), True), (("nurse",), True), (("admin",), True), (("billing",), False),
     (("researcher",), False), (("pharmacist",), False)],
)  # fmt: skip
async def test_staff_read_appointments_per_the_role_table(
    database_url: str, roles: tuple[str, ...], allowed: bool
) -> None:
    async with running(database_url) as app:
        booked = await app.book(f"pat-a-{new_id()}")
        response = await app.client.get(f"/v1/appointments/{booked['id']}", headers=bearer("staff-1", *roles))
    assert response.status_code == (200 if allowed else 403), response.text


async def test_no_appointment_is_returned_when_the_audit_cannot_be_written(database_url: str) -> None:
    alice = f"pat-a-{new_id()}"
    async with running(database_url) as app:
        booked = await app.book(alice)
        await app.break_audit("scheduling")
        read = await app.client.get(f"/v1/appointments/{booked['id']}", headers=patient_token(alice))
        listed = await app.client.get("/v1/appointments", params={"patient_id": alice}, headers=staff())
    for response in (read, listed):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM
        assert alice not in response.text and "check-up" not in response.text
