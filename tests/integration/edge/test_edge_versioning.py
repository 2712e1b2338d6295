"""/v1 and /v2 of the appointment read served side by side; v1 announces its successor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from edge_harness import bearer, create_schedule, edge_client

from caremesh.kernel.ids import new_id


async def _book_one(client, headers) -> dict:  # type: ignore[no-untyped-def]
    schedule = (await create_schedule(client, headers)).json()
    day = datetime.now(UTC).date() + timedelta(days=14)
    generated = await client.post(
        f"/v1/schedules/{schedule['id']}/slots",
        json={
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
            "hours": [{"start": "09:00", "end": "10:00"}],
            "slot_minutes": 30,
        },
        headers=headers,
    )
    assert generated.status_code == 200, generated.text
    slots = (await client.get("/v1/slots", params={"schedule_id": schedule["id"]}, headers=headers)).json()
    booked = await client.post(
        "/v1/appointments",
        json={"slot_id": slots["items"][0]["id"], "patient_id": "pat-edge-0001", "reason": "check-up"},
        headers={**headers, "Idempotency-Key": new_id()},
    )
    assert booked.status_code == 201, booked.text
    return dict(booked.json())


async def test_v1_and_v2_of_the_appointment_read_side_by_side(database_url: str) -> None:
    headers = bearer()
    async with edge_client(database_url, {}) as client:
        appointment = await _book_one(client, headers)
        v1 = await client.get(f"/v1/appointments/{appointment['id']}", headers=headers)
        v2 = await client.get(f"/v2/appointments/{appointment['id']}", headers=headers)
        cancel = {"reason": "patient request"}
        path = f"/v1/appointments/{appointment['id']}/cancel"
        cancelled = await client.post(path, json=cancel, headers=headers)
        v2_after = await client.get(f"/v2/appointments/{appointment['id']}", headers=headers)
        v2_missing = await client.get("/v2/appointments/no-such-appointment", headers=headers)
        v2_anonymous = await client.get(f"/v2/appointments/{appointment['id']}")
    assert v1.status_code == 200 and v2.status_code == 200
    assert v1.json() == appointment
    body = v2.json()
    assert body["patient"] == {"id": "pat-edge-0001"}
    assert body["slot"] == {"id": appointment["slot_id"], "schedule_id": appointment["schedule_id"]}
    assert body["period"] == {"start": appointment["start"], "end": appointment["end"]}
    assert body["cancellation"] is None and "patient_id" not in body

    assert v1.headers["deprecation"] == f"@{int(datetime(2026, 11, 26, tzinfo=UTC).timestamp())}"
    assert parsedate_to_datetime(v1.headers["sunset"]) == datetime(2027, 11, 26, tzinfo=UTC)
    assert v1.headers["link"] == f'</v2/appointments/{appointment["id"]}>; rel="successor-version"'
    assert "deprecation" not in v2.headers

    assert cancelled.status_code == 200
    assert v2_after.json()["cancellation"]["reason"] == "patient request"
    assert v2_after.json()["status"] == "cancelled"
    assert v2_missing.status_code == 404 and v2_missing.headers["content-type"] == "application/problem+json"
    assert v2_anonymous.status_code == 401


def test_the_successor_link_is_percent_encoded_for_any_path() -> None:
    from datetime import UTC, datetime

    from caremesh.kernel.edge.versioning import deprecation_headers

    when = datetime(2026, 1, 1, tzinfo=UTC)
    headers = deprecation_headers(when, when, "http://t/v2/appointments/Āb c")
    headers["link"].encode("latin-1")  # a header value must be Latin-1 encodable
    assert headers["link"] == '<http://t/v2/appointments/%C4%80b%20c>; rel="successor-version"'
