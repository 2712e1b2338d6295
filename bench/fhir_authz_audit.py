"""FHIR read-by-id with authorization + audit on and off, in the same run, on PostgreSQL.

Two routers over one engine and one database: **off** has no audit writer and is called with a
service token (the policy's first line lets services through, nothing is parsed or recorded);
**on** is the clinical module's configuration (scopes and roles of a clinician, the body parsed for
its patient, one audit record per read, group-committed, the response sent after the commit).
Rounds alternate off/on so drift hits both; each round runs ``--concurrency`` workers for
``--seconds``. Reported: throughput (reads/s), p50 and p99 latency, and the on/off ratios.

    .venv/bin/python bench/fhir_authz_audit.py [OUTPUT.json] [--seconds 3] [--rounds 3]
        [--concurrency 16] [--resources 500]

Full run (as reported in docs/benchmarks.md): ``--seconds 10 --rounds 5``. Needs PostgreSQL on
127.0.0.1 (``CAREMESH_BENCH_POSTGRES``); a fresh database is made and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
from fastapi import FastAPI

from caremesh.bootstrap import build_runtime
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.rest import build_fhir_router
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import parse

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

POSTGRES = os.environ.get("CAREMESH_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _app(engine: FhirEngine, audit: AuditWriter | None) -> FastAPI:
    app = FastAPI()
    app.include_router(build_fhir_router(engine, audit=audit, source="caremesh/bench"))
    return app


def _headers(kind: str, roles: list[str]) -> dict[str, str]:
    token = issue_token(
        subject=f"bench-{kind}",
        client_id="bench",
        kind=kind,
        scopes=["user/*.cruds"],
        extra_claims={"roles": roles},
    )
    return {"authorization": f"Bearer {token}"}


async def _load(engine: FhirEngine, count: int) -> list[str]:
    ids = []
    for n in range(count):
        patient = await engine.create(
            "Patient", orjson.dumps({"resourceType": "Patient", "name": [{"family": f"B{n}"}]})
        )
        body = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "glucose"},
            "subject": {"reference": f"Patient/{patient.stored.resource_id}"},
            "valueQuantity": {"value": 5.4, "unit": "mmol/L"},
        }
        ids.append((await engine.create("Observation", orjson.dumps(body))).stored.resource_id)
    return ids


async def _round(
    app: FastAPI, headers: dict[str, str], ids: list[str], seconds: float, workers: int
) -> dict[str, Any]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:

        async def worker(offset: int) -> None:
            n = offset
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(f"/fhir/R4/Observation/{ids[n % len(ids)]}")
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"read answered {response.status_code}: {response.text[:200]}")
                n += workers

        began = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(workers)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "reads": len(latencies),
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def _combine(rounds: list[dict[str, Any]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in ("per_second", "p50_ms", "p99_ms")}


async def main(args: argparse.Namespace) -> dict[str, Any]:
    name = f"caremesh_bench_authz_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    try:
        topology = parse(
            {
                "name": "bench",
                "infrastructure": {"database": url, "bus": "inprocess"},
                "processes": {"app": {"modules": ["clinical"]}},
            }
        )
        runtime = build_runtime(topology)
        await runtime.open()
        try:
            db = runtime.contexts["clinical"].db
            engine = FhirEngine(db)
            ids = await _load(engine, args.resources)
            off = (_app(engine, None), _headers("service", []))
            on = (_app(engine, AuditWriter(db)), _headers("user", ["clinician"]))
            await _round(on[0], on[1], ids, 0.5, args.concurrency)  # warm both paths
            await _round(off[0], off[1], ids, 0.5, args.concurrency)
            results: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
            for _ in range(args.rounds):
                for label, (app, headers) in (("off", off), ("on", on)):
                    results[label].append(await _round(app, headers, ids, args.seconds, args.concurrency))
        finally:
            await runtime.stop()
    finally:
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    off_m, on_m = _combine(results["off"]), _combine(results["on"])
    return {
        "benchmark": "fhir_authz_audit",
        "database": "postgresql",
        "concurrency": args.concurrency,
        "seconds_per_round": args.seconds,
        "rounds": args.rounds,
        "off": off_m,
        "on": on_m,
        "throughput_ratio": on_m["per_second"] / off_m["per_second"],
        "p99_ratio": on_m["p99_ms"] / off_m["p99_ms"],
        "raw": results,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--resources", type=int, default=500)
    arguments = parser.parse_args()
    os.environ.setdefault("CAREMESH_VAR_DIR", tempfile.mkdtemp(prefix="caremesh-bench-"))
    report = asyncio.run(main(arguments))
    text = json.dumps(report, indent=2)
    if arguments.output:
        Path(arguments.output).write_text(text)
    summary = {k: report[k] for k in ("off", "on", "throughput_ratio", "p99_ratio")}
    print(json.dumps(summary, indent=2))
