"""FHIR CRUD micro-benchmark: create, read, update and search-by-id through the REST API.

Each backend (embedded SQLite, PostgreSQL) is measured twice:

* **in-process**: the ASGI app called through httpx's ASGITransport (no sockets): the cost of the
  engine, FastAPI and the middleware stack, one request at a time and at ``--concurrency``;
* **uvicorn**: ``caremesh serve`` (uvicorn, uvloop, httptools) in a subprocess serving the
  clinical module, driven over loopback by ``--clients`` keep-alive connections from this process
  (``raw_http.RawClient``: httpx would spend more CPU than the server; client and server still
  share the machine's cores, so the load generator's CPU is part of the figure).

Scenarios: ``create`` (POST Observation), ``read`` (GET by id), ``update`` (PUT), ``search``
(GET Observation?_id=), ``mix`` (20% create, 50% read, 20% update, 10% search). A
``serialisation`` section times the write path's JSON handling per Synthea resource. Every run is
bounded by ``--ops`` (<= 20000) and a fresh PostgreSQL database is dropped afterwards.

    .venv/bin/python bench/fhir_crud.py [OUTPUT.json] [--ops 2000] [--concurrency 32] [--clients 32]
        [--sqlite-only] [--in-process-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import statistics
import sys
import tarfile
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from boundary import (  # the sibling benchmark's process helpers (bench/ is on sys.path)
    _stop,
    free_port,
    wait_until_ready,
)
from raw_http import RawClient

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime
from caremesh.fhir.meta import stamp
from caremesh.kernel.observability.logging import configure_logging
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

POSTGRES = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
SYNTHEA = Path(os.environ.get("CAREMESH_BENCH_SYNTHEA", "/work/shared/testdata/synthea-r4/bundles.tar.gz"))
Op = Callable[[httpx.AsyncClient], Awaitable[None]]


def observation(patient_id: str, value: str) -> bytes:
    return (
        b'{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":'
        b'"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],'
        b'"code":{"coding":[{"system":"http://loinc.org","code":"2339-0","display":"Glucose"}]},'
        b'"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2024-03-01T10:00:00Z",'
        b'"valueQuantity":{"value":%s,"unit":"mg/dL","system":"http://unitsofmeasure.org","code":"mg/dL"}}'
        % (patient_id.encode(), value.encode())
    )


class Workload:
    """The requests of each scenario; ids created are remembered for reads and updates."""

    def __init__(self, patient_id: str) -> None:
        self.patient_id = patient_id
        self.ids: list[str] = []
        self.headers = {"content-type": "application/fhir+json"}

    async def create(self, client: httpx.AsyncClient) -> None:
        body = observation(self.patient_id, f"{random.randint(60, 200)}.{random.randint(0, 99):02d}")
        response = await client.post("/fhir/R4/Observation", content=body, headers=self.headers)
        assert response.status_code == 201, response.text
        self.ids.append(response.headers["location"].split("/")[-3])

    async def read(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/fhir/R4/Observation/{random.choice(self.ids)}")
        assert response.status_code == 200, response.text

    async def update(self, client: httpx.AsyncClient) -> None:
        target = random.choice(self.ids)
        body = observation(self.patient_id, "99.50")[:-1] + b',"id":"%s"}' % target.encode()
        response = await client.put(f"/fhir/R4/Observation/{target}", content=body, headers=self.headers)
        assert response.status_code == 200, response.text

    async def search(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/fhir/R4/Observation?_id={random.choice(self.ids)}")
        assert response.status_code == 200 and b'"mode":"match"' in response.content, response.text

    async def mix(self, client: httpx.AsyncClient) -> None:
        pick = random.random()
        op = (
            self.create
            if pick < 0.2
            else self.read
            if pick < 0.7
            else self.update
            if pick < 0.9
            else self.search
        )
        await op(client)


async def measure(op: Op, clients: list[httpx.AsyncClient], ops: int) -> dict[str, float]:
    latencies: list[float] = []
    remaining = iter(range(ops))

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in remaining:
            started = time.perf_counter()
            await op(client)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(client) for client in clients))
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests_per_s": round(ops / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 2),
        "p99_ms": round(cuts[98] * 1000, 2),
    }


async def outbox_backlog(database_url: str) -> int:
    """Events committed but not yet published by the clinical module's relay."""
    sql = "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL"
    if database_url.startswith("sqlite"):
        import sqlite3

        path = Path(database_url.removeprefix("sqlite:///")) / "clinical.db"
        with sqlite3.connect(path, timeout=5) as lite:
            return int(lite.execute(sql).fetchone()[0])
    pg = await asyncpg.connect(database_url, server_settings={"search_path": "clinical"})
    try:
        return int(await pg.fetchval(sql))
    finally:
        await pg.close()


async def settle(database_url: str, timeout: float = 120.0) -> None:
    """Wait until the relay has published the previous scenario's events, so each scenario is
    measured on its own (the relay draining a write burst competes for the same two cores)."""
    deadline = time.monotonic() + timeout
    while await outbox_backlog(database_url) > 0 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)


async def scenarios(
    workload: Workload, clients: list[httpx.AsyncClient], ops: int, label: str, database_url: str
) -> list[dict[str, Any]]:
    results = []
    await measure(workload.create, clients[:1], 50)  # warm-up: compiled schemas, pools, caches
    for name in ("create", "read", "update", "search", "mix"):
        await settle(database_url)
        stats = await measure(getattr(workload, name), clients, ops)
        results.append({"path": label, "concurrency": len(clients), "scenario": name, **stats})
        print(f"  {label:<28} c={len(clients):<3} {name:<7} {stats}", flush=True)
    return results


def topology(database_url: str, port: int) -> dict[str, Any]:
    return {
        "name": "bench-fhir",
        "infrastructure": {"database": database_url, "bus": "inprocess"},
        "processes": {"app": {"port": port, "modules": ["clinical"]}},
    }


async def first_patient(client: httpx.AsyncClient) -> str:
    body = b'{"resourceType":"Patient","name":[{"family":"Benchmark","given":["Synthetic"]}]}'
    response = await client.post(
        "/fhir/R4/Patient", content=body, headers={"content-type": "application/fhir+json"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def in_process(database_url: str, backend: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    runtime = build_runtime(parse(topology(database_url, free_port())))
    await runtime.start(workers=False)
    transport = httpx.ASGITransport(app=build_app(runtime, start_runtime=False))
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=_bearer()
        ) as client:
            workload = Workload(await first_patient(client))
            label = f"{backend} in-process"
            results = await scenarios(workload, [client], args.ops, label, database_url)
            results += await scenarios(workload, [client] * args.concurrency, args.ops, label, database_url)
            return results
    finally:
        await runtime.stop()


async def over_uvicorn(
    database_url: str, backend: str, args: argparse.Namespace, workdir: Path
) -> list[dict[str, Any]]:
    import subprocess

    port = free_port()
    path = workdir / f"bench-fhir-{backend}.toml"
    path.write_text(
        f'name = "bench-fhir"\n\n[infrastructure]\ndatabase = "{database_url}"\nbus = "inprocess"\n\n'
        f'[processes.app]\nport = {port}\nmodules = ["clinical"]\n'
    )
    command = [sys.executable, "-m", "caremesh.cli.main", "serve", "--topology", str(path)]
    env = {**os.environ, "CAREMESH_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    clients = [RawClient("127.0.0.1", port, _bearer()) for _ in range(args.clients)]
    try:
        await wait_until_ready(f"http://127.0.0.1:{port}", server)
        workload = Workload(await first_patient(clients[0]))  # type: ignore[arg-type]
        return await scenarios(
            workload, clients, args.ops, f"{backend} uvicorn", database_url  # type: ignore[arg-type]
        )
    finally:
        for client in clients:
            await client.aclose()
        _stop(server)


def _bearer() -> dict[str, str]:
    token = issue_token(subject="bench-user", client_id="bench", kind="user", scopes=["user/*.cruds"])
    return {"authorization": f"Bearer {token}"}


def serialisation() -> dict[str, float]:
    """Microseconds per Synthea resource for each way of handling the body on the write path."""
    with tarfile.open(SYNTHEA) as archive:
        member = next(m for m in archive if m.name.endswith(".json"))
        bundle = orjson.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
    bodies = [orjson.dumps(entry["resource"]) for entry in bundle["entry"]]
    moment = datetime.now(UTC)

    def per_resource(fn: Callable[[bytes], object]) -> float:
        best = min(_timed(fn, bodies) for _ in range(5))
        return round(best / len(bodies) * 1e6, 2)

    return {
        "resources": len(bodies),
        "orjson_loads_us": per_resource(orjson.loads),
        "stamp_exact_numbers_us": per_resource(
            lambda b: stamp(b, resource_type="X", resource_id="y", version=1, last_updated=moment)
        ),
        "decimal_parse_and_dump_us": per_resource(
            lambda b: orjson.dumps(json.loads(b, parse_float=Decimal), default=str)
        ),
    }


def _timed(fn: Callable[[bytes], object], bodies: list[bytes]) -> float:
    started = time.perf_counter()
    for body in bodies:
        fn(body)
    return time.perf_counter() - started


async def fresh_postgres() -> str:
    name = f"caremesh_bench_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return POSTGRES.rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres(url: str) -> None:
    admin = await asyncpg.connect(POSTGRES)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await admin.close()


async def backend_runs(backend: str, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    results = []
    for run in ("in-process", "uvicorn"):
        if (run == "uvicorn" and args.in_process_only) or (run == "in-process" and args.uvicorn_only):
            continue
        url = f"sqlite:///{workdir / backend / run}" if backend == "sqlite" else await fresh_postgres()
        try:
            if run == "in-process":
                results += await in_process(url, backend, args)
            else:
                results += await over_uvicorn(url, backend, args, workdir)
        finally:
            if backend == "postgres":
                await drop_postgres(url)
    return results


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caremesh-bench-fhir-") as workdir:
        os.environ["CAREMESH_SECRET"] = secrets.token_urlsafe(32)
        os.environ["CAREMESH_VAR_DIR"] = str(Path(workdir) / "var")
        os.environ.setdefault("CAREMESH_LOG_LEVEL", "WARNING")
        configure_logging(service="bench-fhir", version="bench", level=os.environ["CAREMESH_LOG_LEVEL"])
        report: dict[str, Any] = {"benchmark": "fhir_crud", "ops_per_scenario": args.ops}
        report["serialisation"] = serialisation()
        print(f"  serialisation {report['serialisation']}", flush=True)
        results = []
        backends = ("sqlite", "postgres")
        if args.sqlite_only or args.postgres_only:
            backends = ("sqlite",) if args.sqlite_only else ("postgres",)
        for backend in backends:
            results += await backend_runs(backend, args, Path(workdir))
    report["environment"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    report["results"] = results
    return report


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path, help="write the results as JSON here")
    parser.add_argument("--ops", type=int, default=2000, help="requests per scenario (100..20000)")
    parser.add_argument("--concurrency", type=int, default=32, help="in-process concurrent requests")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients against uvicorn")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--uvicorn-only", action="store_true")
    parser.add_argument("--in-process-only", action="store_true")
    args = parser.parse_args()
    if not 100 <= args.ops <= 20000 or not 1 <= args.concurrency <= 128 or not 1 <= args.clients <= 128:
        parser.error("--ops must be within 100..20000, --concurrency and --clients within 1..128")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        final = runner.run(main(arguments))
    if arguments.output:
        arguments.output.parent.mkdir(parents=True, exist_ok=True)
        arguments.output.write_text(json.dumps(final, indent=2) + "\n")
