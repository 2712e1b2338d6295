"""Consumers: retries with backoff, dead letters with reasons, replay, and the rest keep flowing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

import pytest

from caremesh.contracts.base import Event
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.kernel.events import dead_letters
from caremesh.kernel.events.consumer import HandlerContext, RetryPolicy, Subscription, deliver
from caremesh.kernel.events.envelope import Envelope

FAST = RetryPolicy(attempts=3, initial_wait=0.001, max_wait=0.005)


class Measured(Event):
    event_type: ClassVar[str] = "test.Measured"
    series: str
    value: int

    def aggregate_id(self) -> str:
        return self.series


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url, "probe")
    await database.connect()
    await migrate(database, "kernel", "caremesh.kernel.migrations")
    async with database.transaction() as conn:
        await conn.execute("CREATE TABLE effects (event_id TEXT PRIMARY KEY, series TEXT, value INTEGER)")
    yield database
    await database.close()


def _envelope(value: int, series: str = "s1") -> Envelope:
    return Envelope.wrap(Measured(series=series, value=value), source="probe")


async def _effects(db: Database) -> list[int]:
    async with db.read() as conn:
        rows = await conn.fetch("SELECT value FROM effects ORDER BY value")
    return [int(r[0]) for r in rows]


def _recorder(fail_values: dict[int, int]) -> tuple[Subscription, list[int]]:
    calls: list[int] = []

    async def handle(event: Measured, hctx: HandlerContext) -> None:
        calls.append(event.value)
        if fail_values.get(event.value, 0) > 0:
            fail_values[event.value] -= 1
            raise RuntimeError(f"value {event.value} rejected")
        await hctx.conn.execute(
            "INSERT INTO effects (event_id, series, value) VALUES ($1, $2, $3)",
            hctx.envelope.id,
            event.series,
            event.value,
        )

    return handle, calls  # type: ignore[return-value]


async def test_transient_failure_is_retried_and_applied_once(db: Database) -> None:
    handle, calls = _recorder({2: 2})
    sub = Subscription("probe.effects", db, retry=FAST).on(Measured, handle)  # type: ignore[arg-type]
    await deliver(sub, [_envelope(v) for v in range(1, 5)])
    assert await _effects(db) == [1, 2, 3, 4]
    assert calls.count(2) >= 3  # failed in the batch, failed once alone, then succeeded
    assert await dead_letters.list_dead_letters(db) == []


async def test_poison_handler_is_dead_lettered_and_the_rest_flow(db: Database) -> None:
    handle, _ = _recorder({3: 10_000})
    sub = Subscription("probe.effects", db, retry=FAST).on(Measured, handle)  # type: ignore[arg-type]
    envelopes = [_envelope(v) for v in range(1, 6)]
    await deliver(sub, envelopes)
    assert await _effects(db) == [1, 2, 4, 5]
    [letter] = await dead_letters.list_dead_letters(db)
    assert letter.event_id == envelopes[2].id
    assert letter.attempts == FAST.attempts
    assert "value 3 rejected" in letter.reason


async def test_invalid_payload_and_unknown_version_are_dead_lettered_without_retries(db: Database) -> None:
    handle, _ = _recorder({})
    sub = Subscription("probe.effects", db, retry=FAST).on(Measured, handle)  # type: ignore[arg-type]
    good = _envelope(1)
    bad_payload = Envelope(**{**good.__dict__, "id": "bad-payload", "payload": {"series": "s1"}})
    bad_version = Envelope(**{**good.__dict__, "id": "bad-version", "version": 9})
    await deliver(sub, [bad_payload])
    await deliver(sub, [bad_version, good])
    letters = {d.event_id: d for d in await dead_letters.list_dead_letters(db)}
    assert set(letters) == {"bad-payload", "bad-version"}
    assert "invalid test.Measured payload" in letters["bad-payload"].reason
    assert letters["bad-payload"].attempts == 1
    assert "version 9 is not understood" in letters["bad-version"].reason
    assert await _effects(db) == [1]


async def test_replay_after_the_fix_processes_once(db: Database) -> None:
    failures = {7: 10_000}
    handle, _ = _recorder(failures)
    sub = Subscription("probe.effects", db, retry=FAST).on(Measured, handle)  # type: ignore[arg-type]
    await deliver(sub, [_envelope(7)])
    [letter] = await dead_letters.list_dead_letters(db)
    assert await dead_letters.replay(db, sub, letter.id) is False  # still broken: stays, reason kept
    [still] = await dead_letters.list_dead_letters(db)
    assert still.attempts == 2 * FAST.attempts
    failures[7] = 0  # the fix
    assert await dead_letters.replay(db, sub, letter.id) is True
    assert await dead_letters.replay(db, sub, letter.id) is True  # repeating is harmless
    assert await _effects(db) == [7]
    assert await dead_letters.list_dead_letters(db) == []
    [replayed] = await dead_letters.list_dead_letters(db, include_replayed=True)
    assert replayed.replayed_at is not None


async def test_redelivered_batch_has_no_second_effect(db: Database) -> None:
    handle, _ = _recorder({})
    sub = Subscription("probe.effects", db, retry=FAST).on(Measured, handle)  # type: ignore[arg-type]
    batch = [_envelope(v) for v in range(10)]
    await deliver(sub, batch)
    await deliver(sub, batch[3:] + batch[:3])
    assert await _effects(db) == list(range(10))
