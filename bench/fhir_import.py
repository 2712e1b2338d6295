"""FHIR import benchmark: Synthea R4 transaction bundles loaded through the engine and over HTTP.

Two paths per backend (embedded SQLite, PostgreSQL on 127.0.0.1):

* **engine**: ``run_bundle`` called directly, one bundle after another (the loader's path);
* **http**: ``POST /fhir/R4`` through the in-process ASGI app with ``--clients`` concurrent
  clients (no sockets: the cost of the app, not of the loopback);
* **uvicorn**: ``caremesh serve`` in a subprocess, ``--clients`` keep-alive connections over
  loopback (``raw_http.RawClient``; client and server share the machine's two cores).

Bounded: at most 300 bundles per path; each path gets a fresh database (PostgreSQL ones are
dropped afterwards). Prints resources/s and writes JSON when OUTPUT is given.

    .venv/bin/python bench/fhir_import.py [OUTPUT.json] [--bundles 20] [--clients 4] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import sys
import tarfile
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from boundary import _stop, free_port, wait_until_ready  # sibling benchmarks (bench/ is on sys.path)
from raw_http import RawClient

from caremesh.apps.asgi import build_app
from caremesh.bootstrap import build_runtime
from caremesh.kernel.observability.logging import configure_logging
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

POSTGRES = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
# One tiny transaction before timing: the first use of an engine compiles its validator and indexer.
WARM_UP = orjson.dumps({"resourceType": "Bundle", "type": "transaction", "entry": [
    {"request": {"method": "POST", "url": "Patient"}, "resource": {"resourceType": "Patient"}}]})  # fmt: skip
SYNTHEA = Path(__file__).resolve().parents[1] / "tests" / "data" / "synthea-r4" / "bundles.tar.gz"


def bundles(limit: int) -> list[bytes]:
    found: list[bytes] = []
    with tarfile.open(SYNTHEA, "r:gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".json") and len(found) < limit:
                stream = tar.extractfile(member)
                assert stream is not None
                found.append(stream.read())
    return found


def resource_count(body: bytes) -> int:
    return len(orjson.loads(body).get("entry", []))


@asynccontextmanager
async def database(backend: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="fhir-import-") as folder:
            yield f"sqlite:///{folder}"
        return
    name = f"caremesh_bench_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def topology(url: str) -> Any:
    return parse({"name": "fhir-import-bench", "infrastructure": {"database": url, "bus": "inprocess"},
                  "processes": {"app": {"modules": ["clinical"]}}, "modules": {"clinical": {}}})  # fmt: skip


def served_process_gc() -> None:
    """What ``caremesh serve`` does after startup (apps/asgi.py): long-lived objects frozen."""
    gc.collect()
    gc.freeze()


async def engine_path(url: str, payloads: list[bytes]) -> float:
    from caremesh.fhir.transaction.process import run_bundle
    from caremesh.modules.clinical.module import build_engine

    runtime = build_runtime(topology(url))
    await runtime.start(workers=False)
    try:
        engine = build_engine(runtime.contexts["clinical"])
        await run_bundle(engine, WARM_UP, base="http://bench/fhir/R4")  # builds validator and indexer
        served_process_gc()
        started = time.perf_counter()
        for body in payloads:
            processed = await run_bundle(engine, body, base="http://bench/fhir/R4")
            assert not processed.failed()
        return time.perf_counter() - started
    finally:
        await runtime.stop()


async def http_path(url: str, payloads: list[bytes], clients: int) -> float:
    runtime = build_runtime(topology(url))
    app = build_app(runtime, start_runtime=False)
    await runtime.start(workers=False)
    token = issue_token(subject="bench", client_id="fhir-import-bench", kind="service", scopes=[])
    headers = {"authorization": f"Bearer {token}", "content-type": "application/fhir+json",
               "prefer": "return=minimal"}  # fmt: skip
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in payloads:
        queue.put_nowait(body)

    async def client() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as http:
            while not queue.empty():
                response = await http.post("/fhir/R4", content=queue.get_nowait(), headers=headers)
                assert response.status_code == 200, response.text[:300]

    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            await http.post("/fhir/R4", content=WARM_UP, headers=headers)
        served_process_gc()
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return time.perf_counter() - started
    finally:
        await runtime.stop()


async def uvicorn_path(url: str, payloads: list[bytes], clients: int, workdir: Path) -> float:
    import subprocess

    port = free_port()
    path = workdir / "fhir-import.toml"
    path.write_text(f'name = "fhir-import-bench"\n[infrastructure]\ndatabase = "{url}"\nbus = "inprocess"\n'
                    f'[processes.app]\nport = {port}\nmodules = ["clinical"]\n')  # fmt: skip
    command = [sys.executable, "-m", "caremesh.cli.main", "serve", "--topology", str(path)]
    env = {**os.environ, "CAREMESH_LOG_LEVEL": "WARNING", "CAREMESH_VAR_DIR": str(workdir)}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    token = issue_token(subject="bench", client_id="fhir-import-bench", kind="service", scopes=[])
    headers = {"authorization": f"Bearer {token}", "content-type": "application/fhir+json",
               "prefer": "return=minimal"}  # fmt: skip
    connections = [RawClient("127.0.0.1", port, headers) for _ in range(clients)]
    queue = list(reversed(payloads))

    async def client(http: RawClient) -> None:
        while queue:
            response = await http.post("/fhir/R4", content=queue.pop())
            assert response.status_code == 200, response.text[:300]

    try:
        await wait_until_ready(f"http://127.0.0.1:{port}", server)
        await connections[0].post("/fhir/R4", content=WARM_UP)
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for http in connections))
        return time.perf_counter() - started
    finally:
        for http in connections:
            await http.aclose()
        _stop(server)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("output", nargs="?")
    parser.add_argument("--bundles", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    configure_logging(service="bench", version="0", level="WARNING")
    os.environ.setdefault("CAREMESH_SECRET", "bench-secret-not-for-production-0123456789")
    payloads = bundles(max(1, min(args.bundles, 300)))
    total = sum(resource_count(body) for body in payloads)
    results: dict[str, Any] = {"bundles": len(payloads), "resources": total, "clients": args.clients}
    for backend in ("sqlite",) if args.sqlite_only else ("sqlite", "postgres"):
        for path in ("engine", "http", "uvicorn"):
            async with database(backend) as url:
                if path == "engine":
                    seconds = await engine_path(url, payloads)
                elif path == "http":
                    seconds = await http_path(url, payloads, args.clients)
                else:
                    with tempfile.TemporaryDirectory(prefix="fhir-import-var-") as workdir:
                        seconds = await uvicorn_path(url, payloads, args.clients, Path(workdir))
            rate = total / seconds
            results[f"{backend}.{path}"] = {"seconds": round(seconds, 2), "resources_per_s": round(rate)}
            print(f"{backend:8} {path:6} {total} resources in {seconds:.2f} s: {rate:,.0f} resources/s")
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
