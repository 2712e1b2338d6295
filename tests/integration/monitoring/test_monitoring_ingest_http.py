"""HTTPS batch ingestion end to end: outcomes per reading, duplicates, dead letters, queries."""

from __future__ import annotations

from datetime import timedelta

from monitoring_harness import MonitoringApp, bp, gateway_headers, minutes_ago, staff_headers


async def test_batch_is_stored_and_acknowledged_per_reading(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device()
    batch = {"readings": [bp(minutes_ago(30), ref="a"), bp(minutes_ago(10), 131, 85, ref="b")]}

    response = await monitoring.post(token, batch)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["summary"] == {"stored": 2, "duplicate": 0, "rejected": 0}
    assert [r["id"] for r in body["results"]] == ["a", "b"]
    assert await monitoring.scalar("SELECT COUNT(*) FROM reading_values") == 6  # 3 metrics each
    assert await monitoring.scalar("SELECT COUNT(*) FROM outbox") == 1  # one event for the patient


async def test_resent_batch_is_reported_duplicate_and_not_stored_twice(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device()
    batch = {"readings": [bp(minutes_ago(5)), bp(minutes_ago(5), ref="same-moment-again")]}

    first = (await monitoring.post(token, batch)).json()
    second = (await monitoring.post(token, batch)).json()

    assert first["summary"] == {"stored": 1, "duplicate": 1, "rejected": 0}
    assert second["summary"] == {"stored": 0, "duplicate": 2, "rejected": 0}
    assert first["results"][0]["reading_id"] == second["results"][0]["reading_id"]
    assert await monitoring.scalar("SELECT COUNT(*) FROM reading_values") == 3
    assert await monitoring.scalar("SELECT COUNT(*) FROM outbox") == 1


async def test_bad_readings_are_dead_lettered_with_reasons(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device()
    future = minutes_ago(-60)
    batch = {
        "readings": [
            bp(minutes_ago(20), ref="ok"),
            bp(minutes_ago(19), systolic=400, ref="range"),
            bp(future, ref="future"),
            bp(minutes_ago(60 * 24 * 40), ref="old"),
            {"id": "glu", "kind": "glucose", "measured_at": minutes_ago(3).isoformat(),
             "values": {"glucose": {"value": 5.5, "unit": "mmol/L"}}},
            {"id": "broken", "kind": "blood-pressure", "measured_at": "yesterday", "values": {}},
        ]
    }  # fmt: skip

    response = await monitoring.post(token, batch)

    assert response.status_code == 207
    reasons = {r["id"]: r.get("reason") for r in response.json()["results"]}
    assert reasons == {
        "ok": None,
        "range": "out-of-range",
        "future": "timestamp-in-future",
        "old": "timestamp-too-old",
        "glu": "unsupported-kind",
        "broken": "malformed",
    }
    listed = (await monitoring.staff_get("/v1/monitoring/rejected")).json()["items"]
    assert sorted(r["reason"] for r in listed) == sorted(v for v in reasons.values() if v)
    assert all(r["status"] == "open" and r["payload"] for r in listed)


async def test_units_are_normalised_and_jumps_flagged_not_dropped(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device("scale", serial="SC-1")
    weights = [
        {"id": "w1", "kind": "weight", "measured_at": minutes_ago(120).isoformat(),
         "values": {"weight": {"value": 176.4, "unit": "[lb_av]"}}},
        {"id": "w2", "kind": "weight", "measured_at": minutes_ago(60).isoformat(),
         "values": {"weight": {"value": 90.0, "unit": "kg"}}},
    ]  # fmt: skip

    body = (await monitoring.post(token, {"readings": weights})).json()

    assert body["summary"]["stored"] == 2
    assert body["results"][1]["flags"] == ["implausible-jump"]
    latest = (await monitoring.staff_get("/v1/monitoring/patients/pat-m-0001/latest")).json()["items"]
    assert latest == [
        {**latest[0], "metric": "weight", "value": 90.0, "unit": "kg", "flags": ["implausible-jump"]}
    ]
    series = (
        await monitoring.staff_get("/v1/monitoring/patients/pat-m-0001/readings", metric="weight")
    ).json()
    assert [round(p["value"], 2) for p in series["items"]] == [80.01, 90.0]


async def test_withings_measure_groups_are_readings(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device()
    at = int(minutes_ago(15).timestamp())
    document = {"status": 0, "body": {"measuregrps": [
        {"grpid": 7001, "date": at, "measures": [
            {"type": 10, "value": 13400, "unit": -2}, {"type": 9, "value": 86, "unit": 0},
            {"type": 11, "value": 64, "unit": 0}]},
        {"grpid": 7002, "date": at + 60, "measures": [{"type": 10, "value": 120, "unit": 0}]},
    ]}}  # fmt: skip

    response = await monitoring.post(token, document, fmt="withings")

    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["stored", "rejected"]
    assert results[1]["reason"] == "malformed"  # a cuff reading without a diastolic value
    systolic = (
        await monitoring.staff_get("/v1/monitoring/patients/pat-m-0001/readings", metric="systolic")
    ).json()
    assert [p["value"] for p in systolic["items"]] == [134.0]


async def test_replay_after_assigning_the_device(monitoring: MonitoringApp) -> None:
    device_id, token = await monitoring.device(patient=None, serial="SN-UNASSIGNED")
    rejected = (await monitoring.post(token, {"readings": [bp(minutes_ago(30))]})).json()["results"][0]
    assert rejected["reason"] == "unassigned-device"

    await monitoring.client.post(
        f"/v1/monitoring/devices/{device_id}/assignments",
        json={"patient_id": "pat-m-0002", "start_at": minutes_ago(90).isoformat()},
        headers=staff_headers(),
    )
    replayed = await monitoring.client.post(
        f"/v1/monitoring/rejected/{rejected['rejected_id']}/replay", headers=staff_headers()
    )

    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["outcome"] == "stored"
    row = (await monitoring.staff_get(f"/v1/monitoring/rejected/{rejected['rejected_id']}")).json()
    assert row["status"] == "replayed" and row["reading_id"] == replayed.json()["reading_id"]
    again = await monitoring.client.post(
        f"/v1/monitoring/rejected/{rejected['rejected_id']}/replay", headers=staff_headers()
    )
    assert again.status_code == 409


async def test_malformed_document_is_400_and_kept(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device()
    response = await monitoring.client.post(
        "/v1/monitoring/readings", content=b"{not json", headers={"authorization": f"Device {token}"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    kept = (await monitoring.staff_get(f"/v1/monitoring/rejected/{response.json()['rejected_id']}")).json()
    assert kept["payload"] == "{not json" and kept["reason"] == "malformed"


async def test_revoked_and_unknown_credentials_are_refused(monitoring: MonitoringApp) -> None:
    device_id, token = await monitoring.device()
    unknown = await monitoring.post("cmd_not-a-real-token", {"readings": [bp(minutes_ago(1))]})
    assert unknown.status_code == 401
    await monitoring.client.post(f"/v1/monitoring/devices/{device_id}/credentials/revoke", json={},
                                 headers=staff_headers())  # fmt: skip
    revoked = await monitoring.post(token, {"readings": [bp(minutes_ago(1))]})
    assert revoked.status_code == 401
    assert revoked.json()["reason"] == "revoked-credential"
    assert await monitoring.scalar("SELECT COUNT(*) FROM reading_values") == 0


async def test_gateway_posts_for_a_named_device_and_unknown_devices_are_dead_lettered(
    monitoring: MonitoringApp,
) -> None:
    await monitoring.device(serial="GW-SN-1")
    ok = await monitoring.client.post(
        "/v1/monitoring/readings", json={"device": "GW-SN-1", "readings": [bp(minutes_ago(2))]},
        headers=gateway_headers(),
    )  # fmt: skip
    unknown = await monitoring.client.post(
        "/v1/monitoring/readings", json={"device": "NOPE", "readings": [bp(minutes_ago(2))]},
        headers=gateway_headers(),
    )  # fmt: skip
    assert ok.json()["summary"]["stored"] == 1
    assert unknown.status_code == 207
    assert unknown.json()["results"][0]["reason"] == "unknown-device"


async def test_downsampled_range(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device()
    base = minutes_ago(600).replace(minute=0, second=0)
    readings = [bp(base + timedelta(minutes=20 * i), 120 + i, 80, ref=f"r{i}") for i in range(6)]
    await monitoring.post(token, {"readings": readings})

    body = (await monitoring.staff_get("/v1/monitoring/patients/pat-m-0001/readings/downsampled",
                                       metric="systolic", bucket=3600)).json()  # fmt: skip

    assert [(b["min"], b["max"], b["mean"], b["count"]) for b in body["items"]] == [
        (120, 122, 121, 3),
        (123, 125, 124, 3),
    ]


async def test_patients_and_anonymous_callers_cannot_manage_devices(monitoring: MonitoringApp) -> None:
    from caremesh.kernel.security.tokens import issue_token

    patient = issue_token(subject="pat-1", client_id="app", kind="user", scopes=["patient/*.rs"])
    as_patient = await monitoring.client.post(
        "/v1/monitoring/devices",
        json={"serial": "X", "type": "scale"},
        headers={"authorization": f"Bearer {patient}"},
    )
    anonymous = await monitoring.client.get("/v1/monitoring/rejected")
    assert as_patient.status_code == 403
    assert anonymous.status_code == 401


async def test_gateway_batch_spans_devices_and_patients(monitoring: MonitoringApp) -> None:
    cuff_id, _ = await monitoring.device(serial="GW-CUFF", patient="pat-gw-1")
    await monitoring.device("scale", serial="GW-SCALE", patient="pat-gw-2")
    weight = {"device": "GW-SCALE", "id": "w", "kind": "weight", "measured_at": minutes_ago(4).isoformat(),
              "values": {"weight": {"value": 70.2}}}  # fmt: skip
    batch = {"readings": [{**bp(minutes_ago(5), ref="c"), "device": cuff_id}, weight,
                          {**bp(minutes_ago(3), ref="x"), "device": "NOT-REGISTERED"}]}  # fmt: skip

    response = await monitoring.client.post("/v1/monitoring/readings", json=batch, headers=gateway_headers())

    results = response.json()["results"]
    assert [r["outcome"] for r in results] == ["stored", "stored", "rejected"]
    assert results[2]["reason"] == "unknown-device"
    assert await monitoring.scalar("SELECT COUNT(*) FROM outbox") == 2  # one event per patient
    patients = await monitoring.scalar("SELECT COUNT(DISTINCT patient_id) FROM reading_values")
    assert patients == 2


async def test_a_device_token_cannot_post_for_another_device(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device(serial="OWN")
    await monitoring.device(serial="OTHER", patient="pat-other")
    response = await monitoring.post(token, {"readings": [{**bp(minutes_ago(2)), "device": "OTHER"}]})
    assert response.status_code == 403
    assert await monitoring.scalar("SELECT COUNT(*) FROM reading_values") == 0
