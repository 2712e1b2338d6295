"""Order entry + pharmacy + billing in one process, with faults a client and a bus really produce.

* responses lost after the server committed: the ASGI app runs each request in its own task, so a
  client that gives up (timeout) does not cancel the server's work — it commits, and the answer
  goes nowhere, exactly like a dropped connection; the client then retries with the same key;
* concurrent retries of one sign; duplicate deliveries of events to pharmacy and billing.

Trial count: ``CAREMESH_ORDERS_TRIALS`` (CI runs 200; ``bench/orders_sign.py --faults`` runs 10,000).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel.events.consumer import Subscription, deliver
from caremesh.kernel.events.envelope import Envelope
from caremesh.kernel.ids import new_id
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

DOUBLE = "cds=tests.fault.orders_cds_double"
MODULES = ["clinical", "pharmacy", "billing", "cds"]


def trials(default: int = 200) -> int:
    return int(os.environ.get("CAREMESH_ORDERS_TRIALS", default))


def _bearer(role: str) -> dict[str, str]:
    token = issue_token(
        subject=f"{role}-fault-0001", client_id="orders-fault", kind="user", scopes=["user/*.cruds"],
        extra_claims={"roles": [role]},
    )  # fmt: skip
    return {"authorization": f"Bearer {token}"}


def shielded(app: Any) -> Any:
    """Each request runs to the end even if its client stops waiting (a dropped response)."""
    orphans: set[asyncio.Task[None]] = set()

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        task = asyncio.ensure_future(app(scope, receive, send))
        orphans.add(task)
        task.add_done_callback(orphans.discard)
        await asyncio.shield(task)

    return asgi


@dataclass
class Platform:
    runtime: Runtime
    client: httpx.AsyncClient
    rng: random.Random
    stats: dict[str, int] = field(default_factory=dict)

    def note(self, what: str) -> None:
        self.stats[what] = self.stats.get(what, 0) + 1

    async def settle(self) -> None:
        idle = 0
        while idle < 2:
            idle = idle + 1 if await self.runtime.drain_outboxes() == 0 else 0

    async def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post(path, json=body, headers=headers)

    async def sign_until_answered(
        self, order_id: str, *, lose_first: bool, concurrent: int
    ) -> httpx.Response:
        """Sign with one key; lose the first answer(s) and retry like a client that timed out."""
        key = new_id()
        path = f"/v1/medication-orders/{order_id}/sign"
        headers = {"Idempotency-Key": key}
        if lose_first:
            self.note("response-lost")
            try:
                async with asyncio.timeout(self.rng.choice([0.0005, 0.002, 0.01])):
                    await self.post(path, {}, headers)
            except TimeoutError:
                pass
        for _ in range(200):
            answers = await asyncio.gather(*(self.post(path, {}, headers) for _ in range(concurrent)))
            done = [answer for answer in answers if answer.status_code != 409]
            if done:
                return done[0]
            await asyncio.sleep(0.01)  # still in flight on the server: retry later, same key
        raise AssertionError("the sign never completed")

    async def redeliver(
        self, module: str, consumer_suffix: str, source: str, event_type: str, order_id: str
    ) -> None:
        """Deliver an already published event again (at-least-once delivery)."""
        async with self.runtime.contexts[source].db.read() as conn:
            body = await conn.fetchval(
                "SELECT body FROM outbox WHERE event_type = $1 AND aggregate_id = $2", event_type, order_id
            )
        if body is None:
            return
        subscription = _subscription(self.runtime, module, consumer_suffix)
        self.note("duplicate-delivery")
        await deliver(subscription, [Envelope.from_bytes(body)])

    async def scalar(self, module: str, sql: str, *args: Any) -> Any:
        async with self.runtime.contexts[module].db.read() as conn:
            return await conn.fetchval(sql, *args)


def _subscription(runtime: Runtime, module: str, suffix: str) -> Subscription:
    return next(s for s in runtime.contexts[module].subscriptions if s.consumer == f"{module}.{suffix}")


@asynccontextmanager
async def platform(database_url: str, seed: int, **orders: Any) -> AsyncIterator[Platform]:
    settings = {"cds_timeout": 0.3, "breaker_threshold": 3, "breaker_cooldown": 0.5, **orders}
    topology = parse(
        {
            "name": "orders-fault",
            "infrastructure": {"database": database_url, "bus": "inprocess"},
            "processes": {"app": {"modules": MODULES}},
            # One test credential drives hundreds of requests a second: the edge limit is not under test.
            "modules": {"clinical": {"orders": settings}, "edge": {"rate_limit": False}},
        }
    )
    runtime = build_runtime(topology)
    app = shielded(build_app(runtime, start_runtime=False))
    await runtime.start(workers=False)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://orders.fault", headers=_bearer("clinician"), timeout=30
        ) as client:
            yield Platform(runtime, client, random.Random(seed))
    finally:
        await runtime.stop()
