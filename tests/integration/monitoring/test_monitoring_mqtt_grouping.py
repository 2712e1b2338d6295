"""MQTT messages that arrive together are stored in one transaction, each with its own answer."""

from __future__ import annotations

import orjson
from monitoring_harness import MonitoringApp, bp, minutes_ago

from caremesh.modules.monitoring import module as monitoring_module
from caremesh.modules.monitoring.adapters.mqtt_ingest import handle_messages
from caremesh.modules.monitoring.application.ingest import Ingestion
from caremesh.modules.monitoring.application.registry import Registry


def _pipeline(app: MonitoringApp) -> Ingestion:
    return monitoring_module._PIPELINES[id(app.runtime.contexts["monitoring"])]


def _message(serial: str, document: dict[str, object]) -> tuple[str, bytes]:
    return f"caremesh/devices/{serial}/readings", orjson.dumps(document)


async def test_a_group_answers_each_message_and_stores_once(monitoring: MonitoringApp) -> None:
    _, first = await monitoring.device(serial="GRP-1", patient="pat-grp-1")
    _, second = await monitoring.device(serial="GRP-2", patient="pat-grp-2")
    shared = bp(minutes_ago(5), ref="a1")
    group = [
        _message("GRP-1", {"token": first, "readings": [shared, bp(minutes_ago(4), ref="a2")]}),
        _message("GRP-2", {"token": second, "readings": [bp(minutes_ago(5), systolic=400, ref="b1")]}),
        _message("GRP-1", {"token": "cmd_not-a-token", "readings": [bp(minutes_ago(3))]}),
        _message("GRP-2", {"token": first, "readings": [bp(minutes_ago(3))]}),  # wrong topic
        ("caremesh/devices/GRP-1/readings", b"{not json"),
        _message("GRP-1", {"token": first, "readings": [shared]}),  # resent within the group
        _message("GRP-1", {"token": first, "readings": "nope"}),  # unreadable batch
    ]
    acks = await handle_messages(group, _pipeline(monitoring), Registry(monitoring.db))

    assert [device for device, _ in acks] == ["GRP-1", "GRP-2", "GRP-1", "GRP-2", "GRP-1", "GRP-1", "GRP-1"]
    statuses = [ack["status"] for _, ack in acks]
    assert statuses == [200, 207, 401, 403, 400, 200, 400]
    assert acks[0][1]["summary"] == {"stored": 2, "duplicate": 0, "rejected": 0}
    assert acks[1][1]["results"][0]["reason"] == "out-of-range"
    assert acks[5][1]["summary"] == {"stored": 0, "duplicate": 1, "rejected": 0}
    assert acks[6][1]["rejected_id"]  # the unreadable batch is kept as a dead letter
    assert await monitoring.scalar("SELECT COUNT(DISTINCT reading_id) FROM reading_values") == 2
    assert await monitoring.scalar(
        "SELECT COUNT(*) FROM rejected_readings WHERE reason = 'out-of-range'"
    ) == 1
    events = await monitoring.scalar(
        "SELECT COUNT(*) FROM outbox WHERE event_type = 'monitoring.ReadingsAccepted'"
    )
    assert events == 1  # only the first message stored readings (one patient)


async def test_a_failing_transaction_answers_nothing(monitoring: MonitoringApp) -> None:
    _, token = await monitoring.device(serial="GRP-3", patient="pat-grp-3")
    ingestion = _pipeline(monitoring)

    class Broken:
        async def on_accepted(self, conn: object, readings: object) -> None:
            raise RuntimeError("database went away")

    ingestion.observers.append(Broken())
    try:
        group = [_message("GRP-3", {"token": token, "readings": [bp(minutes_ago(2), ref="c1")]})]
        try:
            await handle_messages(group, ingestion, Registry(monitoring.db))
        except RuntimeError:
            pass
        else:
            raise AssertionError("the failure must reach the worker, which then acknowledges nothing")
    finally:
        ingestion.observers.pop()
    assert await monitoring.scalar("SELECT COUNT(*) FROM reading_values") == 0
