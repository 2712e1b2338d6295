"""Stopping and starting the machine's NATS server (shared: always started again, quickly)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import psutil

NATS_BINARY = "/usr/sbin/nats-server"
START_COMMAND = [
    "start-stop-daemon", "--start", "--oknodo", "--background", "--exec", NATS_BINARY, "--",
    "-a", "127.0.0.1", "-p", "4222", "-js", "-sd", "/var/lib/nats-server", "-l", "/var/log/nats-server.log",
]  # fmt: skip


def available() -> bool:
    return Path(NATS_BINARY).exists() and server_pid() is not None


def server_pid() -> int | None:
    """The pid of the nats-server serving 127.0.0.1:4222."""
    for process in psutil.process_iter(["pid", "exe", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["exe"] == NATS_BINARY and "4222" in cmdline:
            return int(process.info["pid"])
    return None


def _answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 4222), timeout=0.5):
            return True
    except OSError:
        return False


async def _stop() -> None:
    pid = server_pid()
    if pid is None:
        return
    os.kill(pid, signal.SIGTERM)  # a clean shutdown: JetStream flushes its file store
    for _ in range(150):
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("nats-server did not stop within 15 s")


async def _start() -> None:
    subprocess.run(START_COMMAND, check=True, timeout=10)
    for _ in range(200):
        if _answers():
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("nats-server does not answer on 127.0.0.1:4222 after a restart")


def ensure_running() -> None:
    """A safety net after a test that stopped NATS (should its own ``finally`` have been cut short)."""
    if not _answers():
        subprocess.run(START_COMMAND, check=True, timeout=10)


@contextlib.asynccontextmanager
async def stopped(*, downtime: float) -> AsyncIterator[None]:
    """NATS is down inside the block for at least ``downtime`` seconds, and always started again."""
    try:
        await _stop()
        await asyncio.sleep(downtime)
        yield
    finally:
        await _start()
