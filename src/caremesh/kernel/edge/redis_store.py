"""Buckets shared by every process of a topology, kept in Redis by one atomic Lua script.

No rate-limit library is installed (``limits`` is not; ``pyrate_limiter`` keeps a sorted set of
every request in the window and cannot say how many remain or when the bucket refills, which the
RateLimit header fields need), so this is GCRA in ~20 lines of Lua: one key per client holding
its theoretical arrival time, read and written in one script so concurrent processes cannot
both take the last token. Time comes from the Redis server (``TIME``), so processes with skewed
clocks still share one notion of "now".
"""

from __future__ import annotations

import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from caremesh.kernel.edge.gcra import Decision, Limit

log = structlog.get_logger("caremesh.edge")
LOG_EVERY = 10.0

# KEYS[1] bucket key; ARGV[1] emission interval (ms), ARGV[2] burst.
# Returns {allowed, remaining, retry_after_ms, reset_after_ms} as integers.
GCRA_LUA = """
local emission = tonumber(ARGV[1])
local tolerance = emission * tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + emission
local allow_at = new_tat - tolerance
if now < allow_at then
  return {0, 0, math.ceil(allow_at - now), math.ceil(tat - now)}
end
local ttl = math.max(1, math.ceil(new_tat - now))
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', ttl)
return {1, math.floor((now - allow_at) / emission), 0, ttl}
"""


class RedisStore:
    def __init__(self, url: str, *, prefix: str = "caremesh:ratelimit:", timeout: float = 0.25) -> None:
        self.prefix = prefix
        # A short timeout: the edge must never make a slow Redis into a slow API.
        self._redis = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self._script = self._redis.register_script(GCRA_LUA)
        self._last_warning = -LOG_EVERY

    async def acquire(self, key: str, limit: Limit) -> Decision:
        try:
            allowed, remaining, retry_ms, reset_ms = await self._script(
                keys=[f"{self.prefix}{limit.name}:{key}"], args=[limit.emission_ms, limit.burst]
            )
        except (RedisError, OSError) as exc:
            # Fail open: refusing every clinician because the limiter's store is down would turn a
            # protective control into an outage. Logged at most every LOG_EVERY seconds, not per
            # request (a down store under load must not flood the log as well).
            now = time.monotonic()
            if now - self._last_warning >= LOG_EVERY:
                self._last_warning = now
                log.warning("edge.rate_limit_store_unavailable", error=type(exc).__name__)
            return Decision(True, limit.burst, 0.0, 0.0)
        return Decision(bool(allowed), int(remaining), float(retry_ms), float(reset_ms))

    async def aclose(self) -> None:
        await self._redis.aclose()
