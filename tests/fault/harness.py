"""Processes of a probe topology, killed and restarted for real, and the checks that follow."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from caremesh.kernel.db import Database

from .probe import EXTRA_MODULES

REPO = Path(__file__).resolve().parents[2]
TOTAL = 10_000
PENDING_OUTBOX = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
EFFECTS = "SELECT count(*) FROM probe_effects"


def write_topology(
    path: Path, *, database: str, bus: str, processes: dict[str, list[str]], burst: dict[str, float]
) -> Path:
    lines = ['name = "fault"', "[infrastructure]", f'database = "{database}"', f'bus = "{bus}"']
    for port, (name, modules) in enumerate(processes.items(), start=18_700):
        lines += [f"[processes.{name}]", f"port = {port}", f"modules = {json.dumps(modules)}"]
    lines += ["[modules.probe_producer]", *(f"{key} = {value}" for key, value in burst.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class ProbeProcess:
    """One OS process running ``tests.fault.run_process`` for a process of the topology."""

    name: str
    topology: Path
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("CAREMESH_DATABASE_URL", "CAREMESH_BUS_URL")}
        env.update(
            CAREMESH_TOPOLOGY=str(self.topology),
            CAREMESH_PROCESS=self.name,
            CAREMESH_EXTRA_MODULES=EXTRA_MODULES,
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            **self.env,
        )
        self._close_log()
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "tests.fault.run_process"],
            cwd=REPO,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """``kill -9``: no cleanup runs in the process."""
        if self.popen is not None and self.alive:
            os.kill(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._close_log()

    def stop(self) -> None:
        if self.popen is not None and self.alive:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 25) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"--- {self.name} ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Fleet:
    topology: Path
    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, ProbeProcess] = field(default_factory=dict)

    def start(self, name: str) -> ProbeProcess:
        process = self.processes.get(name) or ProbeProcess(
            name, self.topology, self.log_dir / f"{name}.log", env=dict(self.env)
        )
        self.processes[name] = process
        process.start()
        return process

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.stop()

    def report(self) -> str:
        return "\n".join(process.log_tail() for process in self.processes.values())


@dataclass
class Probe:
    """A running probe topology and the two modules' databases, opened by the test to check them."""

    fleet: Fleet
    producer: Database
    consumer: Database


async def count(db: Database, sql: str) -> int:
    """A count, or -1 while the process has not created the table yet."""
    try:
        async with db.read() as conn:
            return int(await conn.fetchval(sql))
    except Exception:
        return -1


async def wait_for(fleet: Fleet, check: Callable[[], Awaitable[bool]], *, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        dead = [p.name for p in fleet.processes.values() if p.popen is not None and not p.alive]
        if dead:
            pytest.fail(f"process {dead} exited while waiting for {what}\n{fleet.report()}")
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{what} not reached within {timeout} s\n{fleet.report()}")
        await asyncio.sleep(0.05)


async def kill_when(fleet: Fleet, name: str, db: Database, sql: str, *, at_least: int) -> int:
    """SIGKILL process ``name`` once ``sql`` counts ``at_least``; return the count seen just before."""

    async def reached() -> bool:
        return await count(db, sql) >= at_least

    await wait_for(fleet, reached, timeout=30, what=f"{at_least} rows before killing {name}")
    seen = await count(db, sql)
    fleet.processes[name].kill()
    return seen


async def assert_exactly_once(
    fleet: Fleet, producer: Database, consumer: Database, *, timeout: float
) -> None:
    """Every produced row has exactly one effect, and no late duplicate shows up afterwards."""

    async def complete() -> bool:
        return await count(consumer, EFFECTS) >= TOTAL and await count(producer, PENDING_OUTBOX) == 0

    await wait_for(fleet, complete, timeout=timeout, what=f"{TOTAL} effects")
    await asyncio.sleep(1.0)  # room for a late redelivery to (wrongly) add a row
    assert await count(producer, "SELECT count(*) FROM probe_items") == TOTAL
    assert await count(consumer, EFFECTS) == TOTAL, fleet.report()
    assert await count(consumer, "SELECT count(DISTINCT n) FROM probe_effects") == TOTAL
    assert await count(consumer, "SELECT count(*) FROM dead_letters") == 0, fleet.report()
