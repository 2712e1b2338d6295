"""The shared rate-limit store against the real Redis on 127.0.0.1:6379 (keys under a unique
prefix, deleted afterwards), and two OS processes proving one limit holds across them."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis
from tests.conftest import require_service

from caremesh.kernel.edge.gcra import Limit
from caremesh.kernel.edge.redis_store import RedisStore

REDIS_URL = "redis://127.0.0.1:6379/0"
HERE = Path(__file__).resolve().parent


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    require_service("Redis", 6379)
    value = f"caremesh-test:edge:{secrets.token_hex(6)}:"
    yield value
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{value}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def test_the_redis_bucket_gives_exactly_its_burst_to_concurrent_callers(prefix: str) -> None:
    store = RedisStore(REDIS_URL, prefix=prefix)
    limit = Limit("client", rate=0.01, burst=10)
    try:
        decisions = await asyncio.gather(*(store.acquire("k1", limit) for _ in range(40)))
        other = await store.acquire("k2", limit)
    finally:
        await store.aclose()
    assert sum(d.allowed for d in decisions) == 10
    assert sorted(d.remaining for d in decisions if d.allowed) == list(range(10))
    refused = [d for d in decisions if not d.allowed]
    assert all(d.retry_after_seconds == 100 for d in refused)  # one token per 100 s
    assert other.allowed and other.remaining == 9


async def test_the_fastest_allowed_rate_works_in_redis(prefix: str) -> None:
    store = RedisStore(REDIS_URL, prefix=prefix)
    try:
        decisions = [await store.acquire("fast", Limit("client", rate=100_000, burst=5)) for _ in range(3)]
    finally:
        await store.aclose()
    assert all(d.allowed for d in decisions)  # (a zero expiry would make Redis refuse the SET)


async def test_the_bucket_refills_at_its_rate(prefix: str) -> None:
    store = RedisStore(REDIS_URL, prefix=prefix)
    limit = Limit("client", rate=20.0, burst=2)
    try:
        first = [await store.acquire("k", limit) for _ in range(3)]
        await asyncio.sleep(0.06)  # > one emission interval (50 ms)
        later = await store.acquire("k", limit)
    finally:
        await store.aclose()
    assert [d.allowed for d in first] == [True, True, False]
    assert later.allowed


async def test_an_unreachable_store_fails_open() -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = RedisStore(f"redis://127.0.0.1:{port}/0")
    try:
        decision = await store.acquire("k", Limit("client", 1.0, 5))
    finally:
        await store.aclose()
    assert decision.allowed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_answering(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"edge test server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(url)


@pytest.fixture
def two_servers(prefix: str, tmp_path: Path) -> Iterator[list[str]]:
    env = {**os.environ, "EDGE_TEST_REDIS": REDIS_URL, "EDGE_TEST_PREFIX": prefix}
    ports = [_free_port(), _free_port()]
    command = [sys.executable, "-m", "uvicorn", "edge_shared_app:create", "--factory", "--app-dir", str(HERE)]
    processes = [
        subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=(tmp_path / f"server-{port}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        for port in ports
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, process in zip(urls, processes, strict=True):
            _wait_answering(f"{url}/ping-before-test", process)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def test_two_processes_share_one_limit(two_servers: list[str]) -> None:
    headers = {"authorization": "Bearer shared-credential-" + secrets.token_hex(8)}
    statuses: list[int] = []
    pids: set[int] = set()
    with httpx.Client(timeout=5) as client:
        for i in range(16):
            response = client.get(f"{two_servers[i % 2]}/hello", headers=headers)
            statuses.append(response.status_code)
            if response.status_code == 200:
                pids.add(response.json()["pid"])
    assert len(pids) == 2  # both processes answered...
    assert statuses.count(200) == 10  # ...yet together they allowed exactly one burst
    assert statuses.count(429) == 6
