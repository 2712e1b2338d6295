"""Start topology processes as real OS processes (`caremesh serve`) and wait until they are ready."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_process(topology_file: Path, process: str, log_dir: Path) -> subprocess.Popen[bytes]:
    log = (log_dir / f"{process}.log").open("wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "caremesh.cli.main",
            "serve",
            "--topology",
            str(topology_file),
            "--process",
            process,
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process serving {base_url} exited with {process.returncode}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{base_url} not ready after {timeout} s")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def isolate_split_topology(monkeypatch: Any, tag: str) -> str:
    """Env for a throw-away split run: no URL overrides, a NATS stream of its own; returns its name."""
    monkeypatch.delenv("CAREMESH_DATABASE_URL", raising=False)
    monkeypatch.delenv("CAREMESH_BUS_URL", raising=False)
    suffix = secrets.token_hex(4)
    stream = f"{tag.upper()}_{suffix}"
    monkeypatch.setenv("CAREMESH_NATS_STREAM", stream)
    monkeypatch.setenv("CAREMESH_NATS_SUBJECT_PREFIX", f"{tag.lower()}{suffix}.events")
    return stream


def write_split_topology(
    path: Path, *, database: str, bus: str, ports: dict[str, int], extra: str = ""
) -> Path:
    """scheduling and notify in two processes on the given PostgreSQL database and NATS."""
    processes = "".join(
        f'[processes.{name}]\nport = {port}\nmodules = ["{name}"]\n' for name, port in ports.items()
    )
    path.write_text(
        f'name = "{path.stem}"\n[infrastructure]\ndatabase = "{database}"\nbus = "{bus}"\n{processes}{extra}'
    )
    return path
