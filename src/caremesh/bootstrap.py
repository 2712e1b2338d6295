"""The composition root: builds a running process of a topology.

Everything topology-specific is decided here and nowhere else: which databases open, which
event transport carries events, whether a call to another module is a function call or HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from dataclasses import dataclass, field
from typing import Any

import structlog

from caremesh.kernel import maintenance
from caremesh.kernel.db import Database, open_database
from caremesh.kernel.db.migrations import migrate
from caremesh.kernel.events.consumer import RetryPolicy
from caremesh.kernel.events.outbox import Outbox
from caremesh.kernel.events.relay import OutboxRelay
from caremesh.kernel.events.transport import InProcessTransport, Transport
from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.kernel.observability.tracing import current_trace_headers
from caremesh.kernel.security.trust import configure_trust
from caremesh.kernel.services import ServiceDirectory
from caremesh.kernel.topology import ProcessSpec, Topology
from caremesh.modules import KNOWN_MODULES

log = structlog.get_logger(__name__)

KERNEL_MIGRATIONS = "caremesh.kernel.migrations"


def module_paths() -> dict[str, str]:
    """The known modules, plus ``CAREMESH_EXTRA_MODULES`` ("name=dotted.path,...") used by tests."""
    paths = dict(KNOWN_MODULES)
    for item in filter(None, os.environ.get("CAREMESH_EXTRA_MODULES", "").split(",")):
        name, _, path = item.partition("=")
        paths[name.strip()] = path.strip()
    return paths


def load_definition(name: str) -> ModuleDefinition:
    paths = module_paths()
    if name not in paths:
        raise KeyError(f"unknown module {name!r}; known: {', '.join(sorted(paths))}")
    definition = importlib.import_module(paths[name]).MODULE
    assert isinstance(definition, ModuleDefinition)
    return definition


def make_transport(topology: Topology, process: ProcessSpec) -> Transport:
    if topology.in_process_bus:
        return InProcessTransport()
    if topology.bus_url.startswith("nats://"):
        from caremesh.kernel.events.nats import NatsTransport

        return NatsTransport(topology.bus_url, service=process.name)
    raise ValueError(f"unsupported bus URL scheme in {topology.bus_url.split(':', 1)[0]!r}")


def make_services(topology: Topology) -> ServiceDirectory:
    from caremesh.kernel.rpc import remote_client_factory

    return ServiceDirectory(remote_factory=remote_client_factory(topology, caller=topology.name))


async def migrate_module(db: Database, definition: ModuleDefinition) -> int:
    applied = await migrate(db, "kernel", KERNEL_MIGRATIONS)
    for component, package in definition.components:
        applied += await migrate(db, component, package)
    applied += await migrate(db, definition.name, definition.migrations)
    return len(applied)


@dataclass
class Runtime:
    """One process of a topology: its modules, their databases, the bus, relays and workers."""

    topology: Topology
    process: ProcessSpec
    transport: Transport
    services: ServiceDirectory
    contexts: dict[str, ModuleContext] = field(default_factory=dict)
    definitions: dict[str, ModuleDefinition] = field(default_factory=dict)
    relays: dict[str, OutboxRelay] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def databases(self) -> dict[str, Database]:
        return {name: ctx.db for name, ctx in self.contexts.items()}

    async def open(self, *, run_migrations: bool = True) -> None:
        """Connect databases and the bus; migrate. No background work starts yet."""
        for name, ctx in self.contexts.items():
            await ctx.db.connect()
            if run_migrations:
                await migrate_module(ctx.db, self.definitions[name])
        await self.transport.start()

    async def start_background(self, *, workers: bool = True) -> None:
        for ctx in self.contexts.values():
            for subscription in ctx.subscriptions:
                self.transport.subscribe(subscription)
        for name, relay in self.relays.items():
            self._spawn(f"relay:{name}", relay.run())
            self._spawn(f"maintenance:{name}", maintenance.run_periodically(relay.db))
        if workers:
            for ctx in self.contexts.values():
                for worker_name, worker in ctx.workers.items():
                    self._spawn(worker_name, worker())

    def _spawn(self, name: str, coro: Any) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(_report_crash)
        self._tasks.append(task)

    async def start(self, *, workers: bool = True) -> None:
        await self.open()
        await self.start_background(workers=workers)

    async def drain_outboxes(self) -> int:
        """Publish everything committed so far (used by tests and the CLI)."""
        return sum([await relay.drain() for relay in self.relays.values()])

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.transport.stop()
        await self.services.close()
        for ctx in self.contexts.values():
            await ctx.db.close()


def _report_crash(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("background task crashed", task=task.get_name(), error=type(error).__name__)


def build_runtime(
    topology: Topology,
    process_name: str | None = None,
    *,
    retry_policy: RetryPolicy | None = None,
    modules: list[str] | None = None,
) -> Runtime:
    """Build (without connecting) the runtime of one process; by default the topology's first."""
    process = topology.processes[process_name] if process_name else next(iter(topology.processes.values()))
    configure_trust(topology, modules if modules is not None else process.modules)
    transport = make_transport(topology, process)
    services = make_services(topology)
    runtime = Runtime(topology=topology, process=process, transport=transport, services=services)
    for name in modules if modules is not None else process.modules:
        definition = load_definition(name)
        db = open_database(topology.database_url_of(name), name)
        relay = OutboxRelay(db, transport)
        outbox = Outbox(name, context_headers=current_trace_headers, wake_relay=relay.wake)
        ctx = ModuleContext(
            name=name,
            db=db,
            outbox=outbox,
            config=topology.config_of(name),
            services=services,
            retry_policy=retry_policy or RetryPolicy(),
        )
        definition.register(ctx)
        runtime.contexts[name] = ctx
        runtime.definitions[name] = definition
        runtime.relays[name] = relay
    return runtime
