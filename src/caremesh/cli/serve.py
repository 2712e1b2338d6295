"""``caremesh up`` (a whole topology) and ``caremesh serve`` (one process of it)."""

from __future__ import annotations

import os
import shlex
import sys
from datetime import timedelta
from typing import Annotated

import typer
import uvicorn

from caremesh.cli.common import TopologyOption, console, load_topology
from caremesh.cli.data import DEMO_CLIENT, DEMO_SCOPES, DEMO_USER, migrate_command
from caremesh.kernel.security.tokens import issue_token
from caremesh.kernel.topology import Topology

ProcessOption = Annotated[str | None, typer.Option("--process", "-p", help="Process name in the topology.")]


def _banner(topology: Topology) -> None:
    token = issue_token(
        subject=DEMO_USER, client_id=DEMO_CLIENT, kind="user", scopes=DEMO_SCOPES, ttl=timedelta(hours=12)
    )
    console.rule(f"caremesh — topology [bold]{topology.name}[/bold]")
    for process in topology.processes.values():
        console.print(f"  {process.name:<12} {process.base_url}  modules: {', '.join(process.modules)}")
    first = next(iter(topology.processes.values())).base_url
    console.print(f"  API docs     {first}/docs")
    console.print(f"  health       {first}/health   ready {first}/ready   metrics {first}/metrics")
    console.print("  demo user    demo-clinician (synthetic data only)")
    console.print("  bearer token (12 h; `caremesh token` prints a new one):")
    console.print(f"  {token}", soft_wrap=True)
    console.rule()


def serve_process(topology: TopologyOption = None, process: ProcessOption = None) -> None:
    """Serve one process of a topology (what `up` starts for each process)."""
    topo = load_topology(topology)
    name = process or next(iter(topo.processes))
    if name not in topo.processes:
        console.print(f"[red]topology {topo.name} has no process {name!r}[/red]")
        raise typer.Exit(2)
    spec = topo.processes[name]
    os.environ["CAREMESH_TOPOLOGY"] = str(topo.source or topo.name)
    os.environ["CAREMESH_PROCESS"] = name
    uvicorn.run(
        "caremesh.apps.asgi:create_app",
        factory=True,
        host=spec.host,
        port=spec.port,
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


def up(topology: TopologyOption = None) -> None:
    """Start a topology: one process in place, or several under a Procfile runner (honcho)."""
    topo = load_topology(topology)
    _banner(topo)
    if len(topo.processes) == 1:
        serve_process(topology, next(iter(topo.processes)))
        return
    # Migrate once before the processes start, so they never race on a schema.
    migrate_command(topology)
    from honcho.manager import Manager

    manager = Manager()
    executable = shlex.quote(sys.executable)
    source = shlex.quote(str(topo.source or topo.name))
    for name in topo.processes:
        manager.add_process(
            name, f"{executable} -m caremesh.cli.main serve --topology {source} --process {name}",
            env=dict(os.environ),
        )
    manager.loop()
    sys.exit(manager.returncode)
