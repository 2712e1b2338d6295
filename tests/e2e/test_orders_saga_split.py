"""The order saga across real OS processes on PostgreSQL + NATS JetStream.

``core`` runs clinical (order entry) with cds, ``pharmacy`` and ``billing`` run apart; events cross
NATS. The CDS is the real cds module (the test double only where it does not exist).
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.platform_processes import free_port, isolate_split_topology, start_process, stop, wait_ready
from tests.e2e.test_booking_notifies import delete_stream

from caremesh.kernel.ids import new_id
from caremesh.kernel.security.tokens import issue_token

PROCESSES = {"core": ["clinical", "cds"], "pharmacy": ["pharmacy"], "billing": ["billing"]}


def _headers(role: str) -> dict[str, str]:
    token = issue_token(
        subject=f"{role}-e2e", client_id="orders-e2e", kind="user", scopes=["user/*.cruds"],
        extra_claims={"roles": [role]},
    )  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


def _topology(path: Path, database: str, bus: str, ports: dict[str, int]) -> Path:
    lines = ['name = "orders-e2e"', "[infrastructure]", f'database = "{database}"', f'bus = "{bus}"']
    for name, modules in PROCESSES.items():
        quoted = ", ".join(f'"{module}"' for module in modules)
        lines += [f"[processes.{name}]", f"port = {ports[name]}", f"modules = [{quoted}]"]
    lines += ["[modules.clinical.orders]", "cds_timeout = 0.3", "recheck_interval = 1.0"]
    lines += ["[modules.edge]", "rate_limit = false"]  # no shared Redis buckets for a test
    path.write_text("\n".join(lines) + "\n")
    return path


async def _eventually(probe: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def _scenario(urls: dict[str, str]) -> None:
    clinician, pharmacist, billing = _headers("clinician"), _headers("pharmacist"), _headers("billing")
    patient = f"pat-{new_id()}"
    async with httpx.AsyncClient(timeout=10) as client:
        body = {
            "patient_id": patient, "medication": {"code": "723"}, "dose": {"value": "500", "unit": "mg"},
            "frequency": "TID", "route": "oral", "duration_days": 7,
        }  # fmt: skip
        draft = await client.post(f"{urls['core']}/v1/medication-orders", json=body, headers=clinician)
        assert draft.status_code == 201, draft.text
        order_id = draft.json()["id"]
        sign_url = f"{urls['core']}/v1/medication-orders/{order_id}/sign"
        signing = {**clinician, "Idempotency-Key": new_id()}
        first = await client.post(sign_url, json={}, headers=signing)
        retried = await client.post(sign_url, json={}, headers=signing)  # the client never saw the first
        assert first.status_code == retried.status_code == 200, first.text
        assert retried.headers["Idempotent-Replayed"] == "true"

        async def queued() -> list[dict[str, Any]]:
            found = await client.get(
                f"{urls['pharmacy']}/v1/pharmacy/queue", params={"order_id": order_id}, headers=pharmacist
            )
            return list(found.json()["items"])

        [entry] = await _eventually(queued, "the pharmacy queue entry")
        for action in ("verify", "dispense"):
            done = await client.post(
                f"{urls['pharmacy']}/v1/pharmacy/queue/{entry['id']}/{action}", headers=pharmacist
            )
            assert done.status_code == 200, done.text

        async def charged() -> list[dict[str, Any]]:
            found = await client.get(
                f"{urls['billing']}/v1/billing/charges", params={"patient": patient}, headers=billing
            )
            return list(found.json()["items"])

        [charge] = await _eventually(charged, "the charge")
        assert charge["status"] == "posted" and charge["quantity"] == 21

        async def completed() -> dict[str, Any] | None:
            order = (
                await client.get(f"{urls['core']}/v1/medication-orders/{order_id}", headers=clinician)
            ).json()
            return order if order["saga"]["state"] == "completed" else None

        order = await _eventually(completed, "the completed saga")
        assert order["status"] == "dispensed"
        assert len(await queued()) == 1  # one pharmacy order for two sign requests


async def test_order_saga_split_on_postgres_and_nats(
    tmp_path: Path, postgres_url: str, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = isolate_split_topology(monkeypatch, "orders")
    if importlib.util.find_spec("caremesh.modules.cds.module") is None:
        monkeypatch.setenv("CAREMESH_EXTRA_MODULES", "cds=tests.fault.orders_cds_double")
    ports = {name: free_port() for name in PROCESSES}
    topology = _topology(tmp_path / "orders-split.toml", postgres_url, nats_url, ports)
    processes = [start_process(topology, name, tmp_path) for name in PROCESSES]
    try:
        for name, process in zip(PROCESSES, processes, strict=True):
            wait_ready(f"http://127.0.0.1:{ports[name]}", process)
        await _scenario({name: f"http://127.0.0.1:{port}" for name, port in ports.items()})
    finally:
        stop(processes)
        await delete_stream(nats_url, stream)
