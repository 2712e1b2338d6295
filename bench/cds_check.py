"""CDS check latency for a realistic patient: 20 active medications, 5 allergies, 2 draft orders.

Three paths, each after a warm-up: the pure engine (no I/O); ``CdsAPI.check_orders`` in-process
(engine + card storage + encounter suppression in SQLite, as order entry calls it in all-in-one);
and over HTTP against ``caremesh serve`` running the cds module in a subprocess, both as CDS Hooks
(``POST /cds-services/medication-safety-sign`` with prefetch bundles) and through the RPC client.
Every call uses a new encounter, so no card is suppressed and every card is written.
Targets (issue 5): in-process p99 <= 10 ms, HTTP p99 <= 25 ms.

    .venv/bin/python bench/cds_check.py [OUTPUT.json] [--calls 2000] [--warmup 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

import httpx
from boundary import free_port, load_topology, measure, wait_until_ready

from caremesh.bootstrap import build_runtime
from caremesh.contracts.cds import AllergyItem, CdsAPI, Coding, DoseAmount, MedicationItem, OrderCheckRequest
from caremesh.kernel.rpc import RemoteClient
from caremesh.kernel.security.tokens import issue_token
from caremesh.modules.cds.adapters.knowledge_files import load_knowledge
from caremesh.modules.cds.application.mapping import engine_input
from caremesh.modules.cds.domain.engine import check

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SCT = "http://snomed.info/sct"
ACTIVE = [  # (rxcui, name, mg/day)
    ("29046", "lisinopril", 20),
    ("6918", "metoprolol", 100),
    ("83367", "atorvastatin", 40),
    ("11289", "warfarin", 5),
    ("7646", "omeprazole", 20),
    ("36437", "sertraline", 100),
    ("6470", "lorazepam", 2),
    ("4603", "furosemide", 40),
    ("8591", "potassium chloride", 1500),
    ("3407", "digoxin", 0.125),
    ("703", "amiodarone", 200),
    ("5487", "hydrochlorothiazide", 25),
    ("161", "acetaminophen", 3000),
    ("7804", "oxycodone", 20),
    ("82122", "levofloxacin", 750),
    ("4450", "fluconazole", 200),
    ("26225", "ondansetron", 16),
    ("32968", "clopidogrel", 75),
    ("1191", "aspirin", 81),
    ("9997", "spironolactone", 25),
]
ALLERGIES = [("764146007", SCT), ("387406002", SCT), ("387494007", SCT), ("5640", RXNORM), ("764147003", SCT)]
DRAFTS = [("36567", "simvastatin", 40), ("7258", "naproxen", 1000)]
encounters = count()


def request() -> OrderCheckRequest:
    def item(rxcui: str, name: str, dose: float, order_id: str) -> MedicationItem:
        coding = Coding(system=RXNORM, code=rxcui, display=name)
        return MedicationItem(
            order_id=order_id, medication=coding, daily_dose=DoseAmount(value=dose, unit="mg")
        )

    return OrderCheckRequest(
        hook="order-sign",
        patient_id="pat-bench-0001",
        encounter_id=f"enc-bench-{next(encounters)}",
        user_id="prac-bench",
        drafts=[item(*d, order_id=f"draft-{i}") for i, d in enumerate(DRAFTS)],
        active_medications=[item(*a, order_id=f"mr-{i}") for i, a in enumerate(ACTIVE)],
        allergies=[AllergyItem(substance=Coding(system=s, code=c)) for c, s in ALLERGIES],
    )


def hooks_body() -> dict[str, Any]:
    checked = request()

    def resource(item: MedicationItem, status: str) -> dict[str, Any]:
        dose = item.daily_dose
        assert dose is not None
        return {
            "resourceType": "MedicationRequest",
            "id": item.order_id,
            "status": status,
            "intent": "order",
            "subject": {"reference": "Patient/pat-bench-0001"},
            "medicationCodeableConcept": {"coding": [item.medication.model_dump()]},
            "dosageInstruction": [
                {
                    "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
                    "doseAndRate": [{"doseQuantity": {"value": dose.value, "unit": "mg", "code": "mg"}}],
                }
            ],
        }

    def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}

    allergies = [
        {
            "resourceType": "AllergyIntolerance",
            "id": f"al-{i}",
            "patient": {"reference": "Patient/pat-bench-0001"},
            "code": {"coding": [a.substance.model_dump()]},
        }
        for i, a in enumerate(checked.allergies)
    ]
    return {
        "hook": "order-sign",
        "hookInstance": "bench",
        "context": {
            "userId": "Practitioner/prac-bench",
            "patientId": "pat-bench-0001",
            "encounterId": checked.encounter_id,
            "draftOrders": bundle([resource(d, "draft") for d in checked.drafts]),
        },
        "prefetch": {
            "medications": bundle([resource(a, "active") for a in checked.active_medications]),
            "allergies": bundle(allergies),
        },
    }


async def bench_engine(args: argparse.Namespace) -> dict[str, Any]:
    kb = load_knowledge()
    given = engine_input(kb, request())

    async def call() -> Any:
        return check(kb, given.drafts, given.active, given.allergies)

    await measure(call, calls=args.warmup, concurrency=1)
    return {"path": "engine", **await measure(call, calls=args.calls, concurrency=1)}


async def bench_in_process(workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    runtime = build_runtime(load_topology(write_topology(workdir, free_port())))
    await runtime.open()
    try:
        cds: Any = runtime.services.client(CdsAPI)

        async def call() -> Any:
            return await cds.check_orders(request())

        cards = (await call()).cards
        print(f"  cards per check: {len(cards)} ({', '.join(sorted(c.rule_id for c in cards))})", flush=True)
        await measure(call, calls=args.warmup, concurrency=1)
        return {
            "path": "in-process",
            "cards": len(cards),
            **await measure(call, calls=args.calls, concurrency=1),
        }
    finally:
        await runtime.stop()


def write_topology(workdir: Path, port: int) -> Path:
    path = workdir / "bench-cds.toml"
    path.write_text(
        'name = "bench-cds"\n\n[infrastructure]\n'
        f'database = "sqlite:///{workdir / "var"}"\nbus = "inprocess"\n\n'
        f'[processes.cds]\nport = {port}\nmodules = ["cds"]\n'
    )
    return path


@contextmanager
def cds_server(topology_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable,
        "-m",
        "caremesh.cli.main",
        "serve",
        "--topology",
        str(topology_path),
        "--process",
        "cds",
    ]
    with tempfile.TemporaryFile() as errors:
        server = subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=errors)
        try:
            yield server
        except Exception:
            errors.seek(0)
            print(errors.read()[-4000:].decode(errors="replace"), file=sys.stderr)
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


async def bench_http(workdir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    topology = load_topology(write_topology(workdir, free_port()))
    base_url = topology.processes["cds"].base_url
    assert topology.source is not None
    token = issue_token(subject="prac-bench", client_id="bench", kind="user", scopes=["cds"])
    with cds_server(topology.source) as server:
        await wait_until_ready(base_url, server)
        results = []
        async with httpx.AsyncClient(base_url=base_url, headers={"authorization": f"Bearer {token}"}) as http:

            async def hooks() -> Any:
                response = await http.post("/cds-services/medication-safety-sign", json=hooks_body())
                assert response.status_code == 200, response.text
                return response

            await measure(hooks, calls=args.warmup, concurrency=1)
            results.append(
                {"path": "http-cds-hooks", **await measure(hooks, calls=args.calls, concurrency=1)}
            )
        client: Any = RemoteClient(CdsAPI, base_url, caller="bench")
        try:

            async def rpc() -> Any:
                return await client.check_orders(request())

            await measure(rpc, calls=args.warmup, concurrency=1)
            results.append({"path": "http-rpc", **await measure(rpc, calls=args.calls, concurrency=1)})
        finally:
            await client.aclose()
        return results


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("CAREMESH_SECRET", "bench-secret-not-for-production-0123456789")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        os.environ["CAREMESH_VAR_DIR"] = str(workdir / "var")
        results.append(await bench_engine(args))
        print(f"  {results[-1]}", flush=True)
        results.append(await bench_in_process(workdir, args))
        print(f"  {results[-1]}", flush=True)
        for result in await bench_http(workdir, args):
            results.append(result)
            print(f"  {result}", flush=True)
    report = {
        "benchmark": "cds_check",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "calls": args.calls,
        "patient": {"active_medications": len(ACTIVE), "allergies": len(ALLERGIES), "drafts": len(DRAFTS)},
        "targets_ms": {"in-process_p99": 10, "http_p99": 25},
        "results": results,
    }
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
