"""A running notify process per test (SQLite and PostgreSQL), with real SMTP and provider servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from notify_fakes import FakeProviders, FakeScheduling, FakeSmtp, free_port
from notify_harness import NotifyHarness, StartNotify

from caremesh.bootstrap import Runtime, build_runtime
from caremesh.contracts.scheduling import SchedulingAPI
from caremesh.kernel.topology import parse


@pytest.fixture
async def start_notify(database_url: str) -> AsyncIterator[StartNotify]:
    """Start notify alone, configured like a topology's ``[modules.notify]`` table."""
    runtimes: list[Runtime] = []

    async def start(config: dict[str, Any]) -> NotifyHarness:
        topology = parse(
            {
                "name": "notify-test",
                "infrastructure": {"database": database_url, "bus": "inprocess"},
                "processes": {"notify": {"modules": ["notify"]}},
                "modules": {"notify": config},
            }
        )
        runtime = build_runtime(topology, modules=["notify"])
        scheduling = FakeScheduling()
        runtime.contexts["notify"].services.provide(SchedulingAPI, scheduling)
        await runtime.start()
        runtimes.append(runtime)
        return NotifyHarness(runtime, scheduling)

    try:
        yield start
    finally:
        for runtime in runtimes:
            await runtime.stop()


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    server = FakeSmtp(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_not_yet_running() -> Iterator[FakeSmtp]:
    server = FakeSmtp(free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def providers() -> AsyncIterator[FakeProviders]:
    fake = FakeProviders()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(fake.app(), log_config=None, lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    assert server.started, "the fake provider server did not start"
    fake.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield fake
    finally:
        server.should_exit = True
        await task
        sock.close()
