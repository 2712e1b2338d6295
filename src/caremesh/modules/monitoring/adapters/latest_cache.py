"""Latest-reading caches: a dict in a single process, Redis when several processes ingest.

A patient is served from the cache only once complete (filled from the store); every write only
moves a metric forward in time, so a late or replayed older reading never hides a newer one.
Updates after a commit are applied even before an entry is complete: a fill racing with an
ingestion (store read, then the batch commits and updates, then the fill lands) then keeps the
newer value instead of marking a stale snapshot complete.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import structlog
from redis.exceptions import RedisError

from caremesh.modules.monitoring.application.ports import LatestValue

log = structlog.get_logger(__name__)

_COMPLETE = "_complete"
_TTL_SECONDS = 24 * 3600


class InProcessLatestCache:
    def __init__(self, max_patients: int = 100_000) -> None:
        self._entries: dict[str, dict[str, LatestValue]] = {}
        self._complete: set[str] = set()
        self._max = max_patients

    async def get(self, patient_id: str) -> list[LatestValue] | None:
        if patient_id not in self._complete:
            return None
        return sorted(self._entries[patient_id].values(), key=lambda v: v.metric)

    async def fill(self, patient_id: str, values: Sequence[LatestValue]) -> None:
        _merge(self._entry(patient_id), values)
        self._complete.add(patient_id)

    async def update(self, patient_id: str, values: Sequence[LatestValue]) -> None:
        _merge(self._entry(patient_id), values)

    def _entry(self, patient_id: str) -> dict[str, LatestValue]:
        entry = self._entries.get(patient_id)
        if entry is None:
            if len(self._entries) >= self._max:  # a rough bound: the oldest inserted goes first
                evicted = next(iter(self._entries))
                del self._entries[evicted]
                self._complete.discard(evicted)
            entry = self._entries[patient_id] = {}
        return entry

    async def close(self) -> None:
        self._entries.clear()
        self._complete.clear()


def _merge(entry: dict[str, LatestValue], values: Sequence[LatestValue]) -> None:
    for value in values:
        current = entry.get(value.metric)
        if current is None or current.measured_at < value.measured_at:
            entry[value.metric] = value


# ARGV[1] = "1" to mark the entry complete (fill) or "0" (update); then triples (metric, json,
# epoch microseconds). A metric moves only forward in time.
_SCRIPT = """
for i = 2, #ARGV, 3 do
  local seen = redis.call('HGET', KEYS[1], ARGV[i] .. ':t')
  if not seen or tonumber(seen) < tonumber(ARGV[i + 2]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1], ARGV[i] .. ':t', ARGV[i + 2])
  end
end
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], '_complete', '1') end
redis.call('EXPIRE', KEYS[1], TTL)
return 1
""".replace("TTL", str(_TTL_SECONDS))


class RedisLatestCache:
    def __init__(self, url: str, *, prefix: str = "caremesh:monitoring:latest:") -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)
        self._prefix = prefix
        self._script = self._redis.register_script(_SCRIPT)

    async def get(self, patient_id: str) -> list[LatestValue] | None:
        try:
            raw = await self._redis.hgetall(self._prefix + patient_id)
        except RedisError:
            return None  # the store answers instead; the cache is an optimisation
        if not raw or _COMPLETE.encode() not in raw:
            return None
        values = [
            _decode(key.decode(), value)
            for key, value in raw.items()
            if b":" not in key and key != _COMPLETE.encode()
        ]
        return sorted(values, key=lambda v: v.metric)

    async def fill(self, patient_id: str, values: Sequence[LatestValue]) -> None:
        with contextlib.suppress(RedisError):
            await self._script(keys=[self._prefix + patient_id], args=["1", *_encode(values)])

    async def update(self, patient_id: str, values: Sequence[LatestValue]) -> None:
        # Runs after the readings committed: a Redis outage must not turn a stored batch into an
        # error. A failed update leaves a stale entry, so drop it (it is refilled from the store).
        try:
            await self._script(keys=[self._prefix + patient_id], args=["0", *_encode(values)])
        except RedisError as exc:
            log.warning(
                "latest cache update failed", task="monitoring-latest-cache", error=type(exc).__name__
            )
            with contextlib.suppress(RedisError):
                await self._redis.delete(self._prefix + patient_id)

    async def close(self) -> None:
        await self._redis.aclose()


def _encode(values: Sequence[LatestValue]) -> list[str]:
    args: list[str] = []
    for v in values:
        body = {"v": v.value, "t": v.measured_at.isoformat(), "r": v.reading_id, "d": v.device_id,
                "f": list(v.flags)}  # fmt: skip
        args += [v.metric, json.dumps(body), str(int(v.measured_at.timestamp() * 1_000_000))]
    return args


def _decode(metric: str, raw: bytes) -> LatestValue:
    body = json.loads(raw)
    return LatestValue(metric, body["v"], datetime.fromisoformat(body["t"]), body["r"], body["d"],
                       tuple(body["f"]))  # fmt: skip
