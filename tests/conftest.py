"""Shared fixtures: real infrastructure on 127.0.0.1, skipped when absent unless CI requires it."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

POSTGRES_ADMIN = os.environ.get("CAREMESH_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NATS_URL = os.environ.get("CAREMESH_TEST_NATS", "nats://127.0.0.1:4222")


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, port: int) -> None:
    """Skip when the service is missing, or fail when CI says the services must be there."""
    if _answers("127.0.0.1", port):
        return
    message = f"{name} is not answering on 127.0.0.1:{port}"
    if os.environ.get("CAREMESH_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _test_secret(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("CAREMESH_SECRET", "test-secret-not-for-production-0123456789")
    monkeypatch.setenv("CAREMESH_VAR_DIR", str(tmp_path_factory.mktemp("var")))


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    require_service("PostgreSQL", 5432)
    name = f"caremesh_t_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def nats_url() -> Iterator[str]:
    require_service("NATS", 4222)
    yield NATS_URL


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite:///{tmp_path}"


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> AsyncIterator[str]:
    """Run a test on both dialects: the embedded SQLite and the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}"
        return
    async with fresh_postgres_database() as url:
        yield url
