"""Booking publishes AppointmentBooked and notify e-mails the confirmation.

The same scenario runs against real OS processes in two topologies: all-in-one (one process,
SQLite, in-process bus) and split (scheduling and notify apart, PostgreSQL + NATS JetStream).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.booking_scenario import EMAIL, run_booking_scenario
from tests.e2e.platform_processes import (
    free_port,
    isolate_split_topology,
    start_process,
    stop,
    wait_ready,
    write_split_topology,
)
from tests.e2e.smtp_sink import Sink, smtp_sink


def _notify_config(smtp_port: int) -> str:
    return f"""
[modules.notify]
channels = {{ email = "smtp" }}
[modules.notify.delivery]
poll_interval_seconds = 0.2
[modules.notify.smtp]
host = "127.0.0.1"
port = {smtp_port}
from = "clinic@example.org"
starttls = false
"""


@pytest.fixture
def sink() -> Iterator[Sink]:
    with smtp_sink() as running:
        yield running


def _assert_one_confirmation(sink: Sink, outcome: dict) -> None:
    [notification] = outcome["notifications"]
    assert notification["status"] == "delivered" and notification["channel"] == "email"
    assert notification["appointment_id"] == outcome["appointment"]["id"]
    assert len(sink.messages) == 1
    assert sink.messages[0]["To"] == EMAIL


async def test_all_in_one(tmp_path: Path, sink: Sink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAREMESH_DATABASE_URL", raising=False)
    monkeypatch.delenv("CAREMESH_BUS_URL", raising=False)
    port = free_port()
    topology = tmp_path / "aio.toml"
    topology.write_text(
        f"""
name = "e2e-all-in-one"
[infrastructure]
database = "sqlite:///{tmp_path}/var"
bus = "inprocess"
[processes.app]
port = {port}
modules = ["scheduling", "notify"]
"""
        + _notify_config(sink.port)
    )
    process = start_process(topology, "app", tmp_path)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process)
        outcome = await run_booking_scenario(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}")
    finally:
        stop([process])
    _assert_one_confirmation(sink, outcome)


async def test_split_on_postgres_and_nats(
    tmp_path: Path, sink: Sink, postgres_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = isolate_split_topology(monkeypatch, "e2e")
    ports = {"scheduling": free_port(), "notify": free_port()}
    topology = write_split_topology(
        tmp_path / "e2e-split.toml",
        database=postgres_url,
        bus=nats_url,
        ports=ports,
        extra=_notify_config(sink.port),
    )
    processes = [start_process(topology, name, tmp_path) for name in ports]
    try:
        for name, process in zip(ports, processes, strict=True):
            wait_ready(f"http://127.0.0.1:{ports[name]}", process)
        outcome = await run_booking_scenario(
            f"http://127.0.0.1:{ports['scheduling']}", f"http://127.0.0.1:{ports['notify']}"
        )
    finally:
        stop(processes)
        await delete_stream(nats_url, stream)
    _assert_one_confirmation(sink, outcome)


async def delete_stream(url: str, stream: str) -> None:
    import nats

    client = await nats.connect(url)
    try:
        await client.jetstream().delete_stream(stream)
    except Exception:
        pass
    finally:
        await client.close()
