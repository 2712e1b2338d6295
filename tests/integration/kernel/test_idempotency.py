"""Idempotency keys over HTTP, on both dialects, following draft-ietf-httpapi-idempotency-key-header."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response

from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.kernel.http import install_error_handlers, respond_idempotently
from caremesh.kernel.idempotency import IdempotencyService, StoredResponse
from caremesh.kernel.security.principal import Principal, require_principal
from caremesh.kernel.security.tokens import issue_token


def _app(db: Database, service: IdempotencyService, gate: asyncio.Event | None = None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/charges")
    async def create_charge(request: Request, principal: Principal = Depends(require_principal)) -> Response:
        payload = await request.json()

        async def operation(conn) -> StoredResponse:  # type: ignore[no-untyped-def]
            if gate is not None:
                await gate.wait()
            if payload.get("fail"):
                raise RuntimeError("downstream failure")
            count = await conn.fetchval("SELECT count(*) FROM charges") + 1
            await conn.execute("INSERT INTO charges (n, cents) VALUES ($1, $2)", count, payload["cents"])
            return StoredResponse.json(201, {"charge": count, "cents": payload["cents"]})

        return await respond_idempotently(request, service=service, principal=principal, operation=operation)

    return app


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url, "ledger")
    await database.connect()
    await migrate(database, "kernel", "caremesh.kernel.migrations")
    async with database.transaction() as conn:
        await conn.execute("CREATE TABLE charges (n INTEGER PRIMARY KEY, cents INTEGER NOT NULL)")
    yield database
    await database.close()


def _auth(client_id: str) -> dict[str, str]:
    token = issue_token(subject="u1", client_id=client_id, kind="client", scopes=[])
    return {"Authorization": f"Bearer {token}"}


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _charges(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM charges"))


async def test_same_key_same_body_replays_the_stored_response(db: Database) -> None:
    async with _client(_app(db, IdempotencyService(db))) as client:
        headers = {**_auth("app-a"), "Idempotency-Key": '"k-1"'}
        first = await client.post("/charges", json={"cents": 500}, headers=headers)
        second = await client.post("/charges", json={"cents": 500}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() == {"charge": 1, "cents": 500}
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _charges(db) == 1


async def test_same_key_different_body_is_422(db: Database) -> None:
    async with _client(_app(db, IdempotencyService(db))) as client:
        headers = {**_auth("app-a"), "Idempotency-Key": "k-2"}
        await client.post("/charges", json={"cents": 500}, headers=headers)
        reused = await client.post("/charges", json={"cents": 900}, headers=headers)
    assert reused.status_code == 422
    assert "different request" in reused.json()["detail"]
    assert await _charges(db) == 1


async def test_missing_key_is_400_and_malformed_key_is_400(db: Database) -> None:
    async with _client(_app(db, IdempotencyService(db))) as client:
        missing = await client.post("/charges", json={"cents": 1}, headers=_auth("app-a"))
        bad = await client.post(
            "/charges", json={"cents": 1}, headers={**_auth("app-a"), "Idempotency-Key": "x" * 300}
        )
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["detail"]
    assert bad.status_code == 400
    assert await _charges(db) == 0


async def test_same_key_while_in_flight_is_409(db: Database) -> None:
    gate = asyncio.Event()
    async with _client(_app(db, IdempotencyService(db), gate)) as client:
        headers = {**_auth("app-a"), "Idempotency-Key": "k-3"}
        first = asyncio.create_task(client.post("/charges", json={"cents": 5}, headers=headers))
        await asyncio.sleep(0.2)
        concurrent = await client.post("/charges", json={"cents": 5}, headers=headers)
        gate.set()
        completed = await first
    assert concurrent.status_code == 409
    assert completed.status_code == 201
    assert await _charges(db) == 1


async def test_keys_are_scoped_per_client(db: Database) -> None:
    async with _client(_app(db, IdempotencyService(db))) as client:
        a = await client.post(
            "/charges", json={"cents": 5}, headers={**_auth("app-a"), "Idempotency-Key": "same"}
        )
        b = await client.post(
            "/charges", json={"cents": 5}, headers={**_auth("app-b"), "Idempotency-Key": "same"}
        )
    assert a.json()["charge"] == 1 and b.json()["charge"] == 2
    assert await _charges(db) == 2


async def test_failed_operation_releases_the_key_for_a_retry(db: Database) -> None:
    app = _app(db, IdempotencyService(db))
    async with _client(app) as client:
        headers = {**_auth("app-a"), "Idempotency-Key": "k-4"}
        with pytest.raises(RuntimeError):
            await client.post("/charges", json={"cents": 7, "fail": True}, headers=headers)
        async with db.read() as conn:
            assert await conn.fetchval("SELECT count(*) FROM idempotency_keys") == 0
        retried = await client.post(
            "/charges", json={"cents": 7}, headers={**headers, "Idempotency-Key": "k-5"}
        )
    assert retried.status_code == 201


async def test_expired_keys_are_forgotten_and_purged(db: Database) -> None:
    now = [__import__("caremesh.kernel.clock", fromlist=["utcnow"]).utcnow()]
    service = IdempotencyService(db, retention=timedelta(hours=24), clock=lambda: now[0])
    async with _client(_app(db, service)) as client:
        headers = {**_auth("app-a"), "Idempotency-Key": "k-6"}
        await client.post("/charges", json={"cents": 1}, headers=headers)
        now[0] += timedelta(hours=23)
        replay = await client.post("/charges", json={"cents": 1}, headers=headers)
        assert replay.headers.get("idempotent-replayed") == "true"
        now[0] += timedelta(hours=2)
        assert await service.purge_expired() == 1
        fresh = await client.post("/charges", json={"cents": 1}, headers=headers)
    assert "idempotent-replayed" not in fresh.headers
    assert await _charges(db) == 2


async def test_abandoned_in_flight_key_can_be_taken_over(db: Database) -> None:
    from caremesh.kernel.clock import utcnow

    now = [utcnow()]
    service = IdempotencyService(db, lock_timeout=timedelta(seconds=30), clock=lambda: now[0])
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO idempotency_keys (client_id, idem_key, fingerprint, state, locked_until, "
            "created_at, expires_at) VALUES ('app-a', 'k-7', 'x', 'in_flight', $1, $2, $3)",
            now[0] + timedelta(seconds=30),
            now[0],
            now[0] + timedelta(hours=24),
        )
    from caremesh.kernel.idempotency import fingerprint

    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE idempotency_keys SET fingerprint = $1", fingerprint("POST", "/charges", b'{"cents":3}')
        )
    async with _client(_app(db, service)) as client:
        headers = {**_auth("app-a"), "Idempotency-Key": "k-7", "content-type": "application/json"}
        blocked = await client.post("/charges", content=b'{"cents":3}', headers=headers)
        now[0] += timedelta(seconds=31)
        taken = await client.post("/charges", content=b'{"cents":3}', headers=headers)
    assert blocked.status_code == 409
    assert taken.status_code == 201


async def test_concurrent_first_uses_of_a_key_create_one_effect(db: Database) -> None:
    async with _client(_app(db, IdempotencyService(db))) as client:
        headers = {**_auth("app-a"), "Idempotency-Key": "burst"}
        answers = await asyncio.gather(
            *(client.post("/charges", json={"cents": 9}, headers=headers) for _ in range(20))
        )
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}
    assert statuses.count(201) >= 1
    assert all(a.json() == {"charge": 1, "cents": 9} for a in answers if a.status_code == 201)
    assert await _charges(db) == 1
