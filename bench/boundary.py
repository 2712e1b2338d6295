"""The cost of a module boundary: the same query in-process and over HTTP on loopback.

``SchedulingAPI.get_appointment`` is called N times (after a warm-up) through the service directory
of a process that hosts scheduling (a function call into the facade), then through a RemoteClient
against ``caremesh serve`` running the scheduling module in a subprocess (service token, JSON,
resilience policies, uvicorn, the full middleware stack). Both read the same SQLite demo database.

    .venv/bin/python bench/boundary.py [OUTPUT.json] [--calls 3000] [--warmup 300] [--concurrency 1 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from caremesh.bootstrap import build_runtime
from caremesh.contracts.scheduling import SchedulingAPI
from caremesh.kernel.rpc import RemoteClient
from caremesh.kernel.topology import Topology, parse

# Load generators hit one credential far past the edge's per-client rate limit: measure the
# server, not the limiter (bench/edge_overhead.py measures that).
os.environ.setdefault("CAREMESH_EDGE_RATE_LIMIT", "off")

Call = Callable[[], Awaitable[Any]]
DEMO_PATIENT = "pat-demo-0001"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_topology(workdir: Path, port: int) -> Path:
    path = workdir / "bench-boundary.toml"
    path.write_text(
        'name = "bench-boundary"\n\n[infrastructure]\n'
        f'database = "sqlite:///{workdir / "var"}"\nbus = "inprocess"\n\n'
        f'[processes.scheduling]\nport = {port}\nmodules = ["scheduling"]\n'
    )
    return path


def load_topology(path: Path) -> Topology:
    import tomllib

    with path.open("rb") as handle:
        return parse(tomllib.load(handle), source=path)


async def measure(call: Call, *, calls: int, concurrency: int) -> dict[str, float]:
    """``calls`` calls shared by ``concurrency`` workers; latency of each, throughput of all."""
    latencies: list[float] = []
    remaining = iter(range(calls))

    async def worker() -> None:
        for _ in remaining:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "p50_ms": round(cuts[49] * 1000, 4),
        "p99_ms": round(cuts[98] * 1000, 4),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 4),
        "throughput_per_s": round(calls / elapsed, 1),
        # CPU of this (calling) process only: the whole call in-process, the client's share over HTTP.
        "caller_cpu_ms_per_call": round(cpu / calls * 1000, 4),
    }


async def bench(path: str, call: Call, args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for concurrency in args.concurrency:
        await measure(call, calls=args.warmup, concurrency=concurrency)
        stats = await measure(call, calls=args.calls, concurrency=concurrency)
        results.append({"path": path, "concurrency": concurrency, **stats})
        print(f"  {path:<11} c={concurrency:<2} {stats}", flush=True)
    return results


async def in_process(topology: Topology, args: argparse.Namespace) -> tuple[str, list[dict[str, Any]]]:
    """Load the demo data, then call the facade through the directory, as a sibling module would."""
    runtime = build_runtime(topology)
    await runtime.open()
    try:
        ctx = runtime.contexts["scheduling"]
        demo = runtime.definitions["scheduling"].demo
        assert demo is not None
        await demo(ctx)
        scheduling = runtime.services.client(SchedulingAPI)  # type: ignore[type-abstract]
        appointment_id = (await scheduling.list_patient_appointments(DEMO_PATIENT))[0].id

        async def call() -> Any:
            return await scheduling.get_appointment(appointment_id)

        assert (await call()).id == appointment_id
        return appointment_id, await bench("in-process", call, args)
    finally:
        await runtime.stop()


@contextmanager
def scheduling_server(topology_path: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """``caremesh serve`` of the scheduling process, stopped (and its stderr shown on failure) after."""
    command = [
        sys.executable,
        "-m",
        "caremesh.cli.main",
        "serve",
        "--topology",
        str(topology_path),
        "--process",
        "scheduling",
    ]
    # stderr to a file, not a pipe nobody drains while the benchmark runs.
    with tempfile.TemporaryFile() as errors:
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            yield server
        except Exception:
            errors.seek(0)
            print(errors.read()[-4000:].decode(errors="replace"), file=sys.stderr)
            raise
        finally:
            _stop(server)


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


async def wait_until_ready(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(base_url=base_url) as http:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"caremesh serve exited with {server.returncode}")
            try:
                if (await http.get("/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{base_url} did not become ready")


async def over_http(
    topology: Topology, appointment_id: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    base_url = topology.processes["scheduling"].base_url
    assert topology.source is not None
    with scheduling_server(topology.source, dict(os.environ)) as server:
        await wait_until_ready(base_url, server)
        client: Any = RemoteClient(SchedulingAPI, base_url, caller="bench")
        try:

            async def call() -> Any:
                return await client.get_appointment(appointment_id)

            assert (await call()).id == appointment_id
            return await bench("http", call, args)
        finally:
            await client.aclose()


def ratios(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    by_key = {(r["path"], r["concurrency"]): r for r in results}
    out = {}
    for (path, concurrency), remote in by_key.items():
        if path != "http":
            continue
        local = by_key[("in-process", concurrency)]
        out[f"c{concurrency}"] = {
            "p50_http_over_in_process": round(remote["p50_ms"] / local["p50_ms"], 1),
            "p99_http_over_in_process": round(remote["p99_ms"] / local["p99_ms"], 1),
            "throughput_in_process_over_http": round(
                local["throughput_per_s"] / remote["throughput_per_s"], 1
            ),
        }
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caremesh-bench-") as workdir:
        os.environ["CAREMESH_SECRET"] = secrets.token_urlsafe(32)
        os.environ["CAREMESH_VAR_DIR"] = str(Path(workdir) / "var")
        os.environ.setdefault("CAREMESH_LOG_LEVEL", "INFO")
        topology = load_topology(write_topology(Path(workdir), free_port()))
        print(f"{args.calls} calls per run after {args.warmup} warm-up calls", flush=True)
        appointment_id, local = await in_process(topology, args)
        remote = await over_http(topology, appointment_id, args)
    results = local + remote
    return {
        "benchmark": "boundary",
        "query": "SchedulingAPI.get_appointment",
        "calls": args.calls,
        "warmup": args.warmup,
        "environment": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "event_loop": "uvloop" if _uvloop() else "asyncio",
            "server": "caremesh serve (uvicorn, uvloop, httptools), SQLite, log level "
            + os.environ["CAREMESH_LOG_LEVEL"],
        },
        "results": results,
        "ratios": ratios(results),
    }


def _uvloop() -> Any:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("output", nargs="?", type=Path, help="write the results as JSON here")
    parser.add_argument("--calls", type=int, default=3000, help="measured calls per run (bounded: <= 20000)")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    if not 100 <= args.calls <= 20000 or not all(1 <= c <= 64 for c in args.concurrency):
        parser.error("--calls must be within 100..20000 and --concurrency within 1..64")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    uvloop = _uvloop()
    runner = asyncio.Runner(loop_factory=uvloop.new_event_loop) if uvloop else asyncio.Runner()
    with runner:
        report = runner.run(main(arguments))
    if arguments.output:
        arguments.output.parent.mkdir(parents=True, exist_ok=True)
        arguments.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report["ratios"], indent=2))
