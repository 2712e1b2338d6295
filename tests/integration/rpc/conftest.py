"""Fixtures of the RPC tests: the test server, remote clients of it, and a port nobody listens on."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from rpc_server import ServerThread, vitals_app
from rpc_vitals import VitalsAPI, VitalsFacade

from caremesh.kernel.resilience import ResiliencePolicy
from caremesh.kernel.rpc import RemoteClient

# Tests that exercise retries should not spend their time backing off.
FAST = {"backoff_initial": 0.005, "backoff_max": 0.01, "backoff_jitter": 0.005}


@pytest.fixture
def facade() -> VitalsFacade:
    return VitalsFacade()


@pytest.fixture
def server(facade: VitalsFacade) -> Iterator[ServerThread]:
    with ServerThread(vitals_app(facade)) as running:
        yield running


@pytest.fixture
async def remote(server: ServerThread) -> AsyncIterator[Callable[..., Any]]:
    """Makes remote clients of the test server with a given policy; closes them afterwards."""
    clients: list[RemoteClient] = []

    def make(base_url: str | None = None, **settings: Any) -> Any:
        policy = ResiliencePolicy(**{**FAST, **settings})
        client = RemoteClient(VitalsAPI, base_url or server.base_url, "test-caller", policy=policy)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"
