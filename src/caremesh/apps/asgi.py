"""The ASGI application of one topology process (all modules in the all-in-one topology)."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from caremesh import __version__
from caremesh.bootstrap import Runtime, build_runtime
from caremesh.kernel import topology as topologies
from caremesh.kernel.audit.api import build_audit_router
from caremesh.kernel.edge import install_edge
from caremesh.kernel.http import install_error_handlers
from caremesh.kernel.observability.health import Check, health_router
from caremesh.kernel.observability.logging import configure_logging
from caremesh.kernel.observability.middleware import ObservabilityMiddleware
from caremesh.kernel.observability.tracing import configure_tracing
from caremesh.kernel.rpc import build_rpc_router


def readiness_checks(runtime: Runtime) -> dict[str, Check]:
    checks: dict[str, Check] = {f"database:{name}": db.ping for name, db in runtime.databases.items()}
    checks["bus"] = runtime.transport.ping
    for name, relay in runtime.relays.items():
        checks[f"relay:{name}"] = _relay_check(relay)
    for ctx in runtime.contexts.values():
        checks.update(ctx.readiness_checks)
    return checks


def _relay_check(relay: object) -> Check:
    async def check() -> None:
        if not getattr(relay, "healthy", True):
            raise RuntimeError("relay cannot publish")

    return check


def build_app(runtime: Runtime, *, start_runtime: bool = True) -> FastAPI:
    service = f"caremesh-{runtime.process.name}"

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if start_runtime:
            await runtime.start()
            # What startup built (FHIR definitions, schemas, compiled expressions, routes) lives as
            # long as the process: frozen, the cyclic collector stops rescanning it in every full
            # collection (measured: ~20% of the CPU of a FHIR transaction import).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if start_runtime:
                await runtime.stop()

    app = FastAPI(
        title=f"caremesh ({runtime.process.name})",
        version=__version__,
        lifespan=lifespan,
        # The kernel's ObservabilityMiddleware already makes the server span and the RED metrics
        # (with the PHI-safe route template); FastAPI's own telemetry would do it all a second time.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(
        health_router(service=service, version=__version__, checks=lambda: readiness_checks(runtime))
    )
    app.include_router(build_rpc_router(runtime.services))
    app.include_router(build_audit_router(lambda: runtime.databases))
    for ctx in runtime.contexts.values():
        for router in ctx.routers:
            app.include_router(router)
    install_edge(app, runtime.topology)  # inside observability: refusals are logged and counted
    app.add_middleware(
        ObservabilityMiddleware, service=service, quiet_routes=frozenset({"/health", "/ready", "/metrics"})
    )
    return app


def create_app() -> FastAPI:
    """uvicorn factory: the topology and process come from CAREMESH_TOPOLOGY / CAREMESH_PROCESS."""
    topology = topologies.load(os.environ.get("CAREMESH_TOPOLOGY"))
    process = os.environ.get("CAREMESH_PROCESS") or next(iter(topology.processes))
    service = f"caremesh-{process}"
    configure_logging(
        service=service, version=__version__, level=os.environ.get("CAREMESH_LOG_LEVEL", "INFO")
    )
    configure_tracing(service=service, version=__version__)
    return build_app(build_runtime(topology, process))
