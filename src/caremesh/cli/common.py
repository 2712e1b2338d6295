"""Helpers shared by the CLI commands: topology option, runtimes, the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel import topology as topologies
from caremesh.kernel.topology import Topology

T = TypeVar("T")
console = Console()

TopologyOption = Annotated[
    str | None,
    typer.Option("--topology", "-t", help="Topology name or .toml file (default: all-in-one)."),
]


def load_topology(name: str | None) -> Topology:
    try:
        return topologies.load(name)
    except topologies.TopologyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_factory()

    return asyncio.run(main())


@asynccontextmanager
async def whole_topology(topology: Topology, *, migrate: bool = True) -> AsyncIterator[Runtime]:
    """Every module of the topology in this process, for operations (not for serving)."""
    runtime = build_runtime(topology, modules=topology.modules)
    await runtime.open(run_migrations=migrate)
    try:
        yield runtime
    finally:
        await runtime.stop()


def subscribe_in_process(runtime: Runtime) -> None:
    """With the in-process bus, consumers must be attached here for drained events to arrive."""
    if runtime.topology.in_process_bus:
        for ctx in runtime.contexts.values():
            for subscription in ctx.subscriptions:
                runtime.transport.subscribe(subscription)


def summary_rows(summary: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in summary.items())
