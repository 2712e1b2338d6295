"""`caremesh up` starts every process of a multi-process topology under honcho, and stops them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.e2e.platform_processes import (
    ROOT,
    free_port,
    isolate_split_topology,
    wait_ready,
    write_split_topology,
)
from tests.e2e.test_booking_notifies import delete_stream


def test_up_runs_a_two_process_topology(
    tmp_path: Path, postgres_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = isolate_split_topology(monkeypatch, "up")
    ports = {"scheduling": free_port(), "notify": free_port()}
    topology = write_split_topology(
        tmp_path / "up-test.toml", database=postgres_url, bus=nats_url, ports=ports
    )
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen(
        [sys.executable, "-m", "caremesh.cli.main", "up", "--topology", str(topology)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        for port in ports.values():
            wait_ready(f"http://127.0.0.1:{port}", up)
    finally:
        os.killpg(up.pid, signal.SIGTERM)
        returncode = up.wait(timeout=30)
        asyncio.run(delete_stream(nats_url, stream))
    output = (tmp_path / "up.log").read_text()
    assert "scheduling" in output and "notify" in output
    assert returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM, 1), output[-2000:]
