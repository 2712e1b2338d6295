"""Run one process of a topology until SIGTERM: ``python -m tests.fault.run_process``.

The topology and process come from ``CAREMESH_TOPOLOGY`` / ``CAREMESH_PROCESS``, as for the ASGI
app; no HTTP server, since the fault tests only need the runtime (relays, consumers, workers).
"""

from __future__ import annotations

import asyncio
import os
import signal

from caremesh import __version__
from caremesh.bootstrap import build_runtime
from caremesh.kernel import topology as topologies
from caremesh.kernel.observability.logging import configure_logging


async def run() -> None:
    topology = topologies.load(os.environ["CAREMESH_TOPOLOGY"])
    process = os.environ["CAREMESH_PROCESS"]
    configure_logging(service=f"fault-{process}", version=__version__, level="INFO")
    runtime = build_runtime(topology, process)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await runtime.start()
    try:
        await stopping.wait()
    finally:
        await runtime.stop()


if __name__ == "__main__":
    asyncio.run(run())
