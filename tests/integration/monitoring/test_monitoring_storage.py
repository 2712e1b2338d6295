"""Time-series storage: monthly partitions, retention, and the latest-reading caches."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from monitoring_harness import MonitoringApp
from tests.conftest import require_service

from caremesh.modules.monitoring.adapters.latest_cache import InProcessLatestCache, RedisLatestCache
from caremesh.modules.monitoring.adapters.partitions import Partitions
from caremesh.modules.monitoring.adapters.reading_sql import insert_values
from caremesh.modules.monitoring.application.maintenance import maintain_once
from caremesh.modules.monitoring.application.ports import LatestCache, LatestValue

NOW = datetime.now(UTC).replace(microsecond=0)


def _row(at: datetime, reading: str) -> tuple:
    return ("dev-1", "weight", "weight", at, reading, "pat-s-1", 80.0, at, "", None)


async def test_partitions_ahead_and_retention(monitoring: MonitoringApp) -> None:
    partitions = Partitions(monitoring.db)
    old, recent = NOW - timedelta(days=200), NOW - timedelta(days=2)
    await partitions.ensure({old, recent})
    async with monitoring.db.transaction() as conn:
        assert await insert_values(conn, [_row(old, "r-old"), _row(recent, "r-new")]) == {"r-old", "r-new"}

    await maintain_once(partitions, retention=timedelta(days=90))

    async with monitoring.db.read() as conn:
        remaining = [r[0] for r in await conn.fetch("SELECT reading_id FROM reading_values")]
    assert remaining == ["r-new"]
    if monitoring.db.dialect == "postgres":
        names = await _partitions(monitoring)
        ahead = {f"reading_values_p{m.year:04d}{m.month:02d}" for m in _months(NOW, 3)}
        assert ahead <= names  # this month and the next two exist before any reading needs them
        assert not any(n.endswith(f"{old.year:04d}{old.month:02d}") for n in names)  # dropped whole
        brin = await monitoring.scalar("SELECT COUNT(*) FROM pg_indexes WHERE indexdef LIKE '%USING brin%'")
        assert brin >= len(names)  # the parent's BRIN index exists on every partition


def _months(start: datetime, count: int) -> list[datetime]:
    months, year, month = [], start.year, start.month
    for _ in range(count):
        months.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = year + month // 12, month % 12 + 1
    return months


async def _partitions(app: MonitoringApp) -> set[str]:
    async with app.db.read() as conn:
        rows = await conn.fetch(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'reading_values'::regclass"
        )
    return {r[0] for r in rows}


def _value(metric: str, value: float, minutes_ago: int) -> LatestValue:
    return LatestValue(metric, value, NOW - timedelta(minutes=minutes_ago), f"r-{metric}-{value}", "dev-1")


@pytest.fixture(params=["in-process", "redis"])
async def cache(request: pytest.FixtureRequest):
    if request.param == "in-process":
        yield InProcessLatestCache()
        return
    require_service("Redis", 6379)
    prefix = f"caremesh:test:{secrets.token_hex(4)}:"
    redis_cache = RedisLatestCache("redis://127.0.0.1:6379/0", prefix=prefix)
    try:
        yield redis_cache
    finally:
        keys = [k async for k in redis_cache._redis.scan_iter(match=prefix + "*")]
        if keys:
            await redis_cache._redis.delete(*keys)
        await redis_cache.close()


async def test_latest_cache_keeps_whole_patients_and_only_moves_forward(cache: LatestCache) -> None:
    await cache.update("p1", [_value("weight", 81, 5)])  # a batch commits while a fill is under way
    assert await cache.get("p1") is None  # not served before it is complete

    await cache.fill("p1", [_value("weight", 80, 10), _value("systolic", 130, 60)])  # an older snapshot
    await cache.update("p1", [_value("systolic", 120, 90)])  # a late, older reading

    got = {v.metric: v.value for v in await cache.get("p1") or []}
    assert got == {"weight": 81, "systolic": 130}
