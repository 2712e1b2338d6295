"""FHIR server benchmark with the scenario shapes of Health Samurai's public FHIR server benchmark.

One ``caremesh serve`` process (uvicorn, edge rate limit off) serving the clinical module on a
fresh PostgreSQL database (``--backend sqlite``: the embedded store, for comparison), driven over
loopback by ``--clients`` keep-alive connections (``raw_http.RawClient``; the load generator
shares the machine's cores with the server, so its CPU is part of the figure):

1. **import**: the Synthea transaction bundles POSTed to ``/fhir/R4`` (resources/s);
2. **searches** on that data, each a GET with values drawn from the data (requests/s, p50, p99):
   read by id, Patient by name, Observation by patient + code (token), Observation by date
   range, Observation by patient family (chain), Observation by patient with ``_include``;
3. **crud**: the 20% create / 50% read / 20% update / 10% search mix of ``fhir_crud.py``;
4. with ``--scale N`` (N > 1): the bundles are imported N - 1 more times (the server mints fresh
   ids for every POST entry) and the searches run again, for the sub-linearity measurement
   (``scaling`` reports each search's p50/p99 at Nx over 1x).

The parts are shared with the other FHIR benchmarks: bundles from ``fhir_import``, search values
from ``fhir_search``, the CRUD workload and the latency statistics from ``fhir_crud``.

    .venv/bin/python bench/fhir_healthsamurai.py [OUTPUT.json] [--bundles 300] [--scale 1]
        [--ops 2000] [--clients 32] [--backend postgres|sqlite] [--quick]

``--quick`` (5 bundles, 200 requests per scenario, 8 clients) runs in well under a minute; the
full run (300 bundles, about 100k resources; ``--scale 10`` about 1M) takes long on a shared
2-core machine: run it alone. PostgreSQL admin URL: ``CAREMESH_BENCH_POSTGRES``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from boundary import _stop, free_port, wait_until_ready  # sibling benchmarks (bench/ is on sys.path)
from fhir_crud import Workload, drop_postgres, first_patient, fresh_postgres, measure
from fhir_import import bundles, resource_count
from fhir_search import samples
from fhir_search import scenarios as search_values
from raw_http import RawClient

from caremesh.kernel.db import Database, open_database
from caremesh.kernel.security.tokens import issue_token

SEARCHES = ("patient_by_family", "obs_by_subject_code", "obs_by_date_range", "obs_chain_family",
            "obs_include_subject")  # fmt: skip


@asynccontextmanager
async def served(database_url: str, workdir: Path, clients: int) -> AsyncIterator[list[RawClient]]:
    """``caremesh serve`` for the clinical module, and ``clients`` connections to it."""
    port = free_port()
    path = workdir / "bench-healthsamurai.toml"
    path.write_text(
        f'name = "bench-healthsamurai"\n[infrastructure]\ndatabase = "{database_url}"\n'
        f'bus = "inprocess"\n[processes.app]\nport = {port}\nmodules = ["clinical"]\n'
        "[modules.edge]\nrate_limit = false\n"  # one load generator is not a client to throttle
    )
    command = [sys.executable, "-m", "caremesh.cli.main", "serve", "--topology", str(path)]
    env = {**os.environ, "CAREMESH_LOG_LEVEL": "WARNING", "CAREMESH_VAR_DIR": str(workdir)}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    token = issue_token(subject="bench", client_id="fhir-healthsamurai-bench", kind="service", scopes=[])
    headers = {"authorization": f"Bearer {token}"}
    connections = [RawClient("127.0.0.1", port, headers) for _ in range(clients)]
    try:
        await wait_until_ready(f"http://127.0.0.1:{port}", server)
        yield connections
    finally:
        for connection in connections:
            await connection.aclose()
        _stop(server)


async def import_bundles(connections: list[RawClient], payloads: list[bytes]) -> dict[str, Any]:
    queue = list(reversed(payloads))
    headers = {"content-type": "application/fhir+json", "prefer": "return=minimal"}

    async def client(http: RawClient) -> None:
        while queue:
            response = await http.post("/fhir/R4", content=queue.pop(), headers=headers)
            assert response.status_code == 200, response.text[:300]

    started = time.perf_counter()
    await asyncio.gather(*(client(http) for http in connections))
    seconds = time.perf_counter() - started
    total = sum(resource_count(body) for body in payloads)
    return {"resources": total, "seconds": round(seconds, 2), "resources_per_s": round(total / seconds)}


async def analyze_and_sample(database_url: str) -> dict[str, list[Any]]:
    """Fresh planner statistics, then search values drawn from the data (as fhir_search does)."""
    db: Database = open_database(database_url, "clinical")
    await db.connect()
    try:
        async with db.transaction() as conn:
            await conn.execute("ANALYZE")
        data = await samples(db)
        async with db.read() as conn:
            rows = await conn.fetch("SELECT res_id FROM fhir_resource WHERE res_type = 'Patient' LIMIT 5000")
        data["patients"] = [row[0] for row in rows]
        return data
    finally:
        await db.close()


def search_op(name: str, data: dict[str, list[Any]]) -> Any:
    if name == "read_by_id":

        async def read(client: RawClient) -> None:
            response = await client.get(f"/fhir/R4/Patient/{random.choice(data['patients'])}")
            assert response.status_code == 200, response.text[:300]

        return read
    make = search_values(data)[name]

    async def run(client: RawClient) -> None:
        resource_type, params = make()
        response = await client.get(f"/fhir/R4/{resource_type}?{urlencode(params, quote_via=quote)}")
        assert response.status_code == 200, response.text[:300]

    return run


async def searches(connections: list[RawClient], data: dict[str, list[Any]], ops: int) -> dict[str, Any]:
    results = {}
    for name in ("read_by_id", *SEARCHES):
        op = search_op(name, data)
        await measure(op, connections[:1], 20)  # type: ignore[arg-type]  # warm-up
        results[name] = await measure(op, connections, ops)  # type: ignore[arg-type]
        print(f"  search {name:<22} {results[name]}", flush=True)
    return results


async def crud_mix(connections: list[RawClient], ops: int) -> dict[str, Any]:
    workload = Workload(await first_patient(connections[0]))  # type: ignore[arg-type]
    await measure(workload.create, connections[:1], 50)  # type: ignore[arg-type]  # ids to read
    result = await measure(workload.mix, connections, ops)  # type: ignore[arg-type]
    print(f"  crud mix {result}", flush=True)
    return result


def scaling(small: dict[str, Any], large: dict[str, Any]) -> dict[str, Any]:
    """Each search's latency at the larger size over the smaller: below the size ratio is sub-linear."""
    stats = ("p50_ms", "p99_ms")
    return {name: {f"{s}_ratio": round(large[name][s] / small[name][s], 2) for s in stats} for name in small}


async def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    payloads = bundles(args.bundles)
    url = f"sqlite:///{workdir / 'store'}" if args.backend == "sqlite" else await fresh_postgres()
    report: dict[str, Any] = {
        "backend": args.backend, "bundles": len(payloads), "scale": args.scale, "clients": args.clients,
    }  # fmt: skip
    try:
        async with served(url, workdir, args.clients) as connections:
            report["import"] = await import_bundles(connections, payloads)
            print(f"  import {report['import']}", flush=True)
            data = await analyze_and_sample(url)
            report["searches"] = await searches(connections, data, args.ops)
            report["crud_mix"] = await crud_mix(connections, args.ops)
            if args.scale > 1:
                report["import_more"] = await import_bundles(connections, payloads * (args.scale - 1))
                print(f"  import x{args.scale - 1} more {report['import_more']}", flush=True)
                data = await analyze_and_sample(url)
                report[f"searches_x{args.scale}"] = await searches(connections, data, args.ops)
                report["scaling"] = scaling(report["searches"], report[f"searches_x{args.scale}"])
    finally:
        if args.backend == "postgres":
            await drop_postgres(url)
    return report


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caremesh-bench-hs-") as workdir:
        os.environ.setdefault("CAREMESH_SECRET", secrets.token_urlsafe(32))
        random.seed(7)
        report = await run(args, Path(workdir))
    report["environment"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    return report


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path, help="write the results as JSON here")
    parser.add_argument("--bundles", type=int, default=300, help="Synthea bundles (1..300)")
    parser.add_argument("--scale", type=int, default=1, help="import the bundles this many times (1..20)")
    parser.add_argument("--ops", type=int, default=2000, help="requests per scenario (100..20000)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections (1..128)")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--quick", action="store_true", help="5 bundles, 200 requests, 8 clients")
    args = parser.parse_args()
    if args.quick:
        args.bundles, args.ops, args.clients = min(args.bundles, 5), 200, 8
    if not (1 <= args.bundles <= 300 and 1 <= args.scale <= 20 and 100 <= args.ops <= 20000
            and 1 <= args.clients <= 128):  # fmt: skip
        parser.error("out of range: see --help")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    final = asyncio.run(main(arguments))
    print(json.dumps(final, indent=2))
    if arguments.output:
        arguments.output.parent.mkdir(parents=True, exist_ok=True)
        arguments.output.write_text(json.dumps(final, indent=2) + "\n")
