"""Booking and cancelling through the HTTP API, with events in the outbox and the facade's view."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from scheduling_harness import PROBLEM, SchedulingApp

from caremesh.contracts.scheduling import SchedulingAPI


async def free_slot(api: SchedulingApp, **schedule: Any) -> dict[str, Any]:
    created = await api.create_schedule(location="Ward 3, Room 12", **schedule)
    await api.generate(created["id"])
    return (await api.slots(schedule_id=created["id"]))[0]


async def outbox_events(api: SchedulingApp, event_type: str) -> list[dict[str, Any]]:
    async with api.db.read() as conn:
        rows = await conn.fetch("SELECT body FROM outbox WHERE event_type = $1 ORDER BY seq", event_type)
    return [orjson.loads(row["body"])["payload"] for row in rows]


async def test_booking_a_free_slot_creates_the_appointment_and_its_event(api: SchedulingApp) -> None:
    slot = await free_slot(api, service_type="cardiology")
    response = await api.book(slot["id"], patient_id="pat-t-0042", reason="chest pain on exertion")
    assert response.status_code == 201, response.text
    appointment = response.json()
    assert response.headers["location"] == f"/v1/appointments/{appointment['id']}"
    assert appointment["status"] == "booked"
    assert (appointment["start"], appointment["end"], appointment["slot_id"]) == (
        slot["start"],
        slot["end"],
        slot["id"],
    )
    assert (appointment["service_type"], appointment["location"]) == ("cardiology", "Ward 3, Room 12")
    assert (await api.client.get(response.headers["location"])).json() == appointment
    assert (await api.client.get(f"/v1/slots/{slot['id']}")).json()["status"] == "busy"

    [event] = await outbox_events(api, "scheduling.AppointmentBooked")
    assert event["appointment_id"] == appointment["id"] and event["patient_id"] == "pat-t-0042"
    assert event["practitioner_id"] == "prac-t-0001" and event["service_type"] == "cardiology"

    listed = (await api.client.get("/v1/appointments", params={"patient_id": "pat-t-0042"})).json()
    assert [item["id"] for item in listed["items"]] == [appointment["id"]]
    facade: SchedulingAPI | None = api.runtime.services.local(SchedulingAPI)
    assert facade is not None
    view = await facade.get_appointment(appointment["id"])
    assert view is not None and view.status == "booked" and view.location == "Ward 3, Room 12"
    assert [v.id for v in await facade.list_patient_appointments("pat-t-0042")] == [appointment["id"]]
    assert await facade.get_appointment("no-such-appointment") is None


async def test_cancelling_frees_the_slot_for_the_next_patient(api: SchedulingApp) -> None:
    slot = await free_slot(api)
    booked = (await api.book(slot["id"], patient_id="pat-t-0001")).json()
    assert (await api.book(slot["id"], patient_id="pat-t-0002")).status_code == 409

    cancel = await api.client.post(f"/v1/appointments/{booked['id']}/cancel", json={"reason": "travelling"})
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["status"] == "cancelled" and cancel.json()["cancel_reason"] == "travelling"
    assert (await api.client.get(f"/v1/slots/{slot['id']}")).json()["status"] == "free"
    [event] = await outbox_events(api, "scheduling.AppointmentCancelled")
    assert (event["appointment_id"], event["reason"]) == (booked["id"], "travelling")

    again = await api.client.post(f"/v1/appointments/{booked['id']}/cancel")
    assert again.status_code == 409 and again.headers["content-type"].startswith(PROBLEM)
    rebooked = await api.book(slot["id"], patient_id="pat-t-0002")
    assert rebooked.status_code == 201
    statuses = await api.scalar("SELECT count(*) FROM appointments WHERE slot_id = $1", slot["id"])
    assert statuses == 2


async def test_a_cancel_retried_with_its_key_is_replayed(api: SchedulingApp) -> None:
    slot = await free_slot(api)
    booked = (await api.book(slot["id"])).json()
    headers = {"Idempotency-Key": "cancel-once"}
    url = f"/v1/appointments/{booked['id']}/cancel"
    first = await api.client.post(url, json={"reason": "ill"}, headers=headers)
    second = await api.client.post(url, json={"reason": "ill"}, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers.get("idempotent-replayed") == "true"
    assert len(await outbox_events(api, "scheduling.AppointmentCancelled")) == 1


async def test_booking_requires_an_idempotency_key_and_replays_a_retry(api: SchedulingApp) -> None:
    slot = await free_slot(api)
    body = {"slot_id": slot["id"], "patient_id": "pat-t-0001"}
    missing = await api.client.post("/v1/appointments", json=body)
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["detail"]

    first = await api.book(slot["id"], key="book-0001")
    retry = await api.book(slot["id"], key="book-0001")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"] and retry.headers["idempotent-replayed"] == "true"
    other_body = await api.book(slot["id"], patient_id="pat-t-0002", key="book-0001")
    assert other_body.status_code == 422
    assert await api.scalar("SELECT count(*) FROM appointments") == 1


async def test_past_and_unknown_slots_cannot_be_booked(api: SchedulingApp) -> None:
    schedule = await api.create_schedule()
    past = await api.insert_past_slot(schedule["id"])
    too_late = await api.book(past)
    assert too_late.status_code == 422 and "already started" in too_late.json()["detail"]
    unknown = await api.book("no-such-slot")
    assert unknown.status_code == 422 and "no slot" in unknown.json()["detail"]
    assert await api.scalar("SELECT count(*) FROM appointments") == 0
    assert await api.scalar("SELECT count(*) FROM outbox") == 0


async def test_an_outcome_is_recorded_only_after_the_visit_started(api: SchedulingApp) -> None:
    slot = await free_slot(api)
    future = (await api.book(slot["id"])).json()
    early = await api.client.post(f"/v1/appointments/{future['id']}/outcome", json={"status": "fulfilled"})
    assert early.status_code == 409

    async with api.db.transaction() as conn:  # the visit's time has come: move it into the past
        await conn.execute("UPDATE appointments SET start_at = created_at WHERE id = $1", future["id"])
    done = await api.client.post(f"/v1/appointments/{future['id']}/outcome", json={"status": "noshow"})
    assert done.status_code == 200 and done.json()["status"] == "noshow"
    assert (await api.client.post(f"/v1/appointments/{future['id']}/cancel")).status_code == 409
    assert (await api.client.get(f"/v1/slots/{slot['id']}")).json()["status"] == "busy"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"slot_id": "s-1"}, 422),
        ({"slot_id": "s-1", "patient_id": 7}, 422),
        ({"slot_id": ["s-1"], "patient_id": "pat-t-0001"}, 422),
        ({"slot_id": "s-1", "patient_id": "pat t 0001"}, 422),
        ({"slot_id": "s-1", "patient_id": "pat-t-0001", "reason": "x" * 1001}, 422),
        ({"slot_id": "s-1", "patient_id": "pat-t-0001", "when": "soon"}, 422),
        ("not an object", 422),
    ],
)
async def test_bad_booking_bodies_are_refused(api: SchedulingApp, body: Any, status: int) -> None:
    response = await api.client.post("/v1/appointments", json=body, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_malformed_requests_and_unknown_appointments_are_4xx(api: SchedulingApp) -> None:
    headers = {"Idempotency-Key": "k-2", "content-type": "application/json"}
    assert (await api.client.post("/v1/appointments", content=b"{oops", headers=headers)).status_code == 400
    assert (await api.client.get("/v1/appointments/no-such-appointment")).status_code == 404
    assert (await api.client.post("/v1/appointments/no-such-appointment/cancel")).status_code == 404
    outcome = await api.client.post("/v1/appointments/x/outcome", json={"status": "cancelled"})
    assert outcome.status_code == 422
    assert (await api.client.get("/v1/appointments")).status_code == 400
    assert (
        await api.client.get("/v1/appointments", params={"patient_id": "p", "status": "gone"})
    ).status_code == 400
    valid = {"slot_id": "s-1", "patient_id": "pat-t-0001"}
    bad_key = await api.client.post("/v1/appointments", json=valid, headers={"Idempotency-Key": "with space"})
    assert bad_key.status_code == 400 and "Idempotency-Key" in bad_key.json()["detail"]
