"""The double-dose scenario across real processes on PostgreSQL + NATS, with kill -9.

``core`` (order entry + cds), ``pharmacy`` and ``billing`` run as OS processes (`caremesh serve`).
Clients sign orders and retry with the same Idempotency-Key through every failure, while the
pharmacy process (a consumer), the core process (API + relay) and the billing process are killed
with SIGKILL and restarted; in CI (or with CAREMESH_ORDERS_NATS_RESTART=1) the NATS server is
restarted too. Afterwards: one pharmacy order per signed order, none lost, every saga complete.

Size: CAREMESH_ORDERS_SPLIT_ORDERS (default 24).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tests.e2e.platform_processes import free_port, start_process, stop, wait_ready
from tests.e2e.test_booking_notifies import delete_stream

from caremesh.kernel.ids import new_id
from caremesh.kernel.security.tokens import issue_token

from . import nats_server

pytestmark = [pytest.mark.fault, pytest.mark.postgres, pytest.mark.nats]
PROCESSES = {"core": ["clinical", "cds"], "pharmacy": ["pharmacy"], "billing": ["billing"]}
RETRYABLE = {409, 500, 502, 503, 504}
DRAFT = {"medication": {"code": "723"}, "dose": {"value": "500", "unit": "mg"}, "frequency": "TID",
         "route": "oral", "duration_days": 7}  # fmt: skip


def _headers(role: str) -> dict[str, str]:
    token = issue_token(
        subject=f"{role}-split",
        client_id="orders-split",
        kind="user",
        scopes=["user/*.cruds"],
        extra_claims={"roles": [role]},
    )
    return {"Authorization": f"Bearer {token}"}


class Fleet:
    def __init__(self, topology: Path, logs: Path, ports: dict[str, int]) -> None:
        self.topology, self.logs, self.ports = topology, logs, ports
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.kills = 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        self.running[name] = start_process(self.topology, name, self.logs)

    async def ready(self, name: str) -> None:
        await asyncio.to_thread(wait_ready, self.url(name), self.running[name])

    async def kill_and_restart(self, name: str, down: float = 1.0) -> None:
        self.running[name].kill()  # SIGKILL: no cleanup runs
        self.running[name].wait(timeout=10)
        self.kills += 1
        await asyncio.sleep(down)
        self.start(name)
        await self.ready(name)

    def stop_all(self) -> None:
        stop(list(self.running.values()))


async def _until_ok(
    call: Callable[[], Awaitable[httpx.Response]], what: str, timeout: float = 120.0
) -> httpx.Response:
    """Repeat ``call`` (the same request, the same key) through crashes until it answers 2xx."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = await call()
        except httpx.TransportError:
            await asyncio.sleep(0.2)
            continue
        if response.status_code < 300:
            return response
        assert response.status_code in RETRYABLE, (what, response.status_code, response.text)
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} never succeeded")


async def _sign_orders(client: httpx.AsyncClient, fleet: Fleet, total: int, signed: list[str]) -> None:
    core, clinician = fleet.url("core"), _headers("clinician")

    async def one() -> None:
        body = {"patient_id": f"pat-{new_id()}", **DRAFT}
        draft = await _until_ok(
            lambda: client.post(f"{core}/v1/medication-orders", json=body, headers=clinician), "draft"
        )
        order_id = draft.json()["id"]
        signing = {**clinician, "Idempotency-Key": new_id()}
        url = f"{core}/v1/medication-orders/{order_id}/sign"
        await _until_ok(lambda: client.post(url, json={}, headers=signing), "sign")
        signed.append(order_id)

    for start in range(0, total, 3):
        await asyncio.gather(*(one() for _ in range(min(3, total - start))))


async def _faults(fleet: Fleet, signed: list[str], total: int, restart_nats: bool) -> None:
    async def when(fraction: float) -> None:
        while len(signed) < total * fraction:
            await asyncio.sleep(0.05)

    await when(0.2)
    await fleet.kill_and_restart("pharmacy")
    await when(0.45)
    await fleet.kill_and_restart("core")
    if restart_nats:
        await when(0.7)
        async with nats_server.stopped(downtime=2.0):
            pass


async def _rows(conn: asyncpg.Connection, sql: str) -> list[Any]:
    return list(await conn.fetch(sql))


async def _eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _nats_restart_allowed() -> bool:
    wanted = (
        os.environ.get("CAREMESH_ORDERS_NATS_RESTART") == "1"
        or os.environ.get("CAREMESH_REQUIRE_SERVICES") == "1"
    )
    return wanted and nats_server.available()


@pytest.fixture
def nats_comes_back() -> Iterator[None]:
    yield
    nats_server.ensure_running()


async def test_orders_survive_kill_9_across_processes(
    tmp_path: Path, postgres_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch, nats_comes_back: None
) -> None:
    total = int(os.environ.get("CAREMESH_ORDERS_SPLIT_ORDERS", "24"))
    tag = secrets.token_hex(4)
    stream = f"ORDERS_FAULT_{tag.upper()}"
    for name in ("CAREMESH_DATABASE_URL", "CAREMESH_BUS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAREMESH_NATS_STREAM", stream)
    monkeypatch.setenv("CAREMESH_NATS_SUBJECT_PREFIX", f"ordersfault{tag}.events")
    monkeypatch.setenv("CAREMESH_NATS_ACK_WAIT", "3")
    monkeypatch.setenv("CAREMESH_EXTRA_MODULES", "cds=tests.fault.orders_cds_double")
    ports = {name: free_port() for name in PROCESSES}
    lines = [
        'name = "orders-split-fault"',
        "[infrastructure]",
        f'database = "{postgres_url}"',
        f'bus = "{nats_url}"',
    ]
    for name, modules in PROCESSES.items():
        lines += [f"[processes.{name}]", f"port = {ports[name]}", f"modules = {modules!r}".replace("'", '"')]
    lines += [
        "[modules.clinical.orders]",
        "idempotency_lock_seconds = 3",
        "[modules.edge]",
        "rate_limit = false",
    ]
    topology = tmp_path / "orders-split-fault.toml"
    topology.write_text("\n".join(lines) + "\n")
    fleet = Fleet(topology, tmp_path, ports)
    db = await asyncpg.connect(postgres_url)
    try:
        for name in PROCESSES:
            fleet.start(name)
        for name in PROCESSES:
            await fleet.ready(name)
        signed: list[str] = []
        async with httpx.AsyncClient(timeout=5) as client:
            await asyncio.gather(
                _sign_orders(client, fleet, total, signed),
                _faults(fleet, signed, total, _nats_restart_allowed()),
            )
            await _check_pharmacy(db, signed)
            await _dispense_all(client, fleet, db, signed)
        await _check_sagas(db, signed)
    finally:
        fleet.stop_all()
        await db.close()
        await delete_stream(nats_url, stream)
    assert fleet.kills >= 2


async def _check_pharmacy(db: asyncpg.Connection, signed: list[str]) -> None:
    async def all_queued() -> bool:
        return len(await _rows(db, "SELECT 1 FROM pharmacy.pharmacy_orders")) >= len(signed)

    await _eventually(all_queued, "every signed order in the pharmacy queue")
    rows = await _rows(db, "SELECT order_id, COUNT(*) AS n FROM pharmacy.pharmacy_orders GROUP BY order_id")
    assert {row["order_id"] for row in rows} == set(signed)  # none lost
    assert all(row["n"] == 1 for row in rows)  # none doubled
    events = await _rows(
        db, "SELECT aggregate_id FROM clinical.outbox WHERE event_type = 'clinical.MedicationOrderSigned'"
    )
    assert sorted(row["aggregate_id"] for row in events) == sorted(signed)


async def _dispense_all(
    client: httpx.AsyncClient, fleet: Fleet, db: asyncpg.Connection, signed: list[str]
) -> None:
    pharmacist, pharmacy = _headers("pharmacist"), fleet.url("pharmacy")
    entries = {
        row["order_id"]: row["id"]
        for row in await _rows(db, "SELECT id, order_id FROM pharmacy.pharmacy_orders")
    }
    for n, order_id in enumerate(signed):
        if n == len(signed) // 2:
            await fleet.kill_and_restart("billing")
        for action in ("verify", "dispense"):
            url = f"{pharmacy}/v1/pharmacy/queue/{entries[order_id]}/{action}"
            await _until_ok(lambda url=url: client.post(url, headers=pharmacist), action)  # type: ignore[misc]


async def _check_sagas(db: asyncpg.Connection, signed: list[str]) -> None:
    async def all_charged() -> bool:
        done = await _rows(
            db, "SELECT order_id FROM clinical.medication_order_steps WHERE step = 'charge-captured'"
        )
        return len(done) >= len(signed)

    await _eventually(all_charged, "every saga to complete")
    charges = await _rows(db, "SELECT order_id, status FROM billing.charges")
    assert sorted(row["order_id"] for row in charges) == sorted(signed)
    assert {row["status"] for row in charges} == {"posted"}
    orders = await _rows(db, "SELECT status FROM clinical.medication_orders WHERE signed_at IS NOT NULL")
    assert [row["status"] for row in orders] == ["dispensed"] * len(signed)
