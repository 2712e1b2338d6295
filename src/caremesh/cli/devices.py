"""``caremesh devices simulate``: synthetic home devices posting readings over HTTPS (and MQTT).

The simulator registers its devices through the API (a staff token), assigns each to a synthetic
patient, takes a device token for each, then sends every device's readings in batches and adds
up the per-reading outcomes. With ``--faults`` the expected outcome of every reading is known in
advance and the summary shows both, so a run reconciles exactly (or says where it does not).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

import httpx
import orjson
import typer
from rich.progress import Progress
from rich.table import Table

from caremesh.cli.common import console
from caremesh.kernel.security.tokens import issue_token
from caremesh.modules.monitoring.application.simulation import Plan, SimDevice, SimReading, build_plan

app = typer.Typer(help="Home devices of remote patient monitoring.", no_args_is_help=True)
OUTCOMES = ("stored", "duplicate", "rejected")


def staff_token() -> str:
    return issue_token(subject="device-simulator", client_id="caremesh-simulator", kind="client",
                       scopes=["monitoring"], ttl=timedelta(hours=12))  # fmt: skip


async def register_devices(
    client: httpx.AsyncClient, plan: Plan, staff: dict[str, str], since: datetime
) -> dict[str, str]:
    """Register, assign and credential every device of ``plan``; return serial -> device token."""
    tokens: dict[str, str] = {}
    for device in plan.devices:
        spec = {"serial": device.serial, "type": device.type}
        created = await client.post("/v1/monitoring/devices", json=spec, headers=staff)
        created.raise_for_status()
        device_id = created.json()["id"]
        assigned = await client.post(f"/v1/monitoring/devices/{device_id}/assignments",
                                     json={"patient_id": device.patient, "start_at": since.isoformat()},
                                     headers=staff)  # fmt: skip
        assigned.raise_for_status()
        issued = await client.post(f"/v1/monitoring/devices/{device_id}/credentials", headers=staff)
        issued.raise_for_status()
        tokens[device.serial] = issued.json()["token"]
    return tokens


def batches(plan: Plan, size: int) -> list[tuple[SimDevice, list[SimReading]]]:
    """Each device's readings in upload batches; a resent reading goes in a later batch."""
    per_device: dict[str, list[SimReading]] = {}
    for reading in plan.readings:
        per_device.setdefault(reading.device.serial, []).append(reading)
    out: list[tuple[SimDevice, list[SimReading]]] = []
    for readings in per_device.values():
        originals = [r for r in readings if r.fault != "duplicate"]
        resends = [r for r in readings if r.fault == "duplicate"]
        for items in (originals, resends):
            out += [(items[0].device, items[i : i + size]) for i in range(0, len(items), size)]
    return out


async def send_https(
    client: httpx.AsyncClient, tokens: dict[str, str], work: list[tuple[SimDevice, list[SimReading]]],
    concurrency: int, advance: Callable[[int], None],
) -> Counter[str]:  # fmt: skip
    totals: Counter[str] = Counter()
    gate = asyncio.Semaphore(concurrency)

    async def send(device: SimDevice, readings: list[SimReading]) -> None:
        body = orjson.dumps({"readings": [r.body for r in readings]})
        headers = {"authorization": f"Device {tokens[device.serial]}", "content-type": "application/json"}
        async with gate:
            response = await client.post("/v1/monitoring/readings", content=body, headers=headers)
        if response.status_code not in (200, 207):
            raise RuntimeError(f"batch refused with HTTP {response.status_code}: {response.text[:200]}")
        totals.update(response.json()["summary"])
        advance(len(readings))

    await asyncio.gather(*(send(device, readings) for device, readings in work))
    return totals


async def send_mqtt(
    url: str,
    tokens: dict[str, str],
    work: list[tuple[SimDevice, list[SimReading]]],
    advance: Callable[[int], None],
) -> Counter[str]:
    import aiomqtt

    parts, totals = urlsplit(url), Counter[str]()
    async with aiomqtt.Client(parts.hostname or "127.0.0.1", parts.port or 1883) as client:
        await client.subscribe("caremesh/devices/+/acks", qos=1)
        for device, readings in work:
            body = {"token": tokens[device.serial], "readings": [r.body for r in readings]}
            await client.publish(f"caremesh/devices/{device.serial}/readings", orjson.dumps(body), qos=1)
        pending, ours = len(work), {device.serial for device, _ in work}
        async with asyncio.timeout(60 + pending):
            async for message in client.messages:
                if message.topic.value.split("/")[2] not in ours:
                    continue  # another sender's device on the same broker
                ack = orjson.loads(message.payload)
                totals.update(ack.get("summary", {}))
                advance(sum(ack.get("summary", {}).values()))
                pending -= 1
                if pending == 0:
                    break
    return totals


async def simulate(
    client: httpx.AsyncClient, plan: Plan, *, since: datetime, batch_size: int = 200, concurrency: int = 4,
    mqtt_url: str | None = None, advance: Callable[[int], None] = lambda _: None,
) -> Counter[str]:  # fmt: skip
    """Register the plan's devices and send all its readings; return the summed outcomes."""
    tokens = await register_devices(client, plan, {"authorization": f"Bearer {staff_token()}"}, since)
    work = batches(plan, batch_size)
    over_mqtt = [w for i, w in enumerate(work) if mqtt_url and i % 2 == 1]
    over_https = [w for w in work if not any(w is m for m in over_mqtt)]
    totals = await send_https(client, tokens, over_https, concurrency, advance)
    if mqtt_url and over_mqtt:
        totals += await send_mqtt(mqtt_url, tokens, over_mqtt, advance)
    return totals


def _summary(plan: Plan, totals: Counter[str], faults: bool) -> Table:
    table = Table(title="device simulation")
    table.add_column("outcome")
    table.add_column("received", justify="right")
    if faults:
        table.add_column("expected", justify="right")
    expected = plan.expected()
    table.add_row("sent", str(len(plan.readings)), *([str(len(plan.readings))] if faults else []))
    for key in OUTCOMES:
        table.add_row(key, str(totals.get(key, 0)), *([str(expected[key])] if faults else []))
    return table


@app.command("simulate")
def simulate_command(
    patients: Annotated[int, typer.Option(min=1, max=10_000, help="Synthetic patients.")] = 10,
    hours: Annotated[float, typer.Option(min=0.1, max=24 * 29, help="Hours of readings, ending now.")] = 24,
    rate: Annotated[
        float | None, typer.Option(help="Readings per device per hour (default: daily routine).")
    ] = None,
    faults: Annotated[bool, typer.Option(help="Add duplicates, clock skew, bad values and units.")] = False,
    url: Annotated[str, typer.Option(help="caremesh base URL.")] = "http://127.0.0.1:8000",
    mqtt: Annotated[
        str | None, typer.Option(help="Also publish half the batches to this MQTT broker.")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=5000)] = 200,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same readings).")] = 7,
) -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one log line per request drowns the progress bar
    now = datetime.now(UTC)
    plan = build_plan(
        patients, hours, now=now, run_id=secrets.token_hex(3), faults=faults, rate=rate, seed=seed
    )

    async def main() -> Counter[str]:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            with Progress(console=console) as progress:
                task = progress.add_task("readings", total=len(plan.readings))
                since = now - timedelta(hours=hours + 1)
                return await simulate(client, plan, since=since, batch_size=batch_size, mqtt_url=mqtt,
                                      advance=lambda n: progress.advance(task, n))  # fmt: skip

    totals = asyncio.run(main())
    console.print(_summary(plan, totals, faults))
    if faults and dict(plan.expected()) != {k: totals.get(k, 0) for k in OUTCOMES}:
        raise typer.Exit(1)
