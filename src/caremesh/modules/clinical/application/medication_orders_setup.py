"""Wires order entry into the clinical module: routes, the saga consumer, the re-check worker."""

from __future__ import annotations

from caremesh.contracts.cds import CdsAPI
from caremesh.fhir.engine import FhirEngine
from caremesh.kernel.module import ModuleContext
from caremesh.modules.clinical.api.medication_order_routes import build_medication_order_router
from caremesh.modules.clinical.application.medication_order_cds import CdsSettings, GuardedCds
from caremesh.modules.clinical.application.medication_order_recheck import run_recheck_worker
from caremesh.modules.clinical.application.medication_order_saga_events import subscribe_saga
from caremesh.modules.clinical.application.medication_orders_deps import OrderEntryDeps


def order_entry_deps(ctx: ModuleContext, engine: FhirEngine) -> OrderEntryDeps:
    """Settings from ``[modules.clinical.orders]``: cds_timeout, breaker_threshold, breaker_cooldown,
    recheck_interval, idempotency_lock_seconds."""
    config = dict(ctx.config.get("orders", {}))
    settings = CdsSettings(
        timeout=float(config.get("cds_timeout", 0.3)),
        breaker_threshold=int(config.get("breaker_threshold", 5)),
        breaker_cooldown=float(config.get("breaker_cooldown", 10.0)),
    )
    cds = ctx.client(CdsAPI)  # type: ignore[type-abstract]  # a Protocol names the API
    return OrderEntryDeps(
        db=ctx.db,
        engine=engine,
        outbox=ctx.outbox,
        cds=GuardedCds(cds, settings),
        idempotency_lock_seconds=float(config.get("idempotency_lock_seconds", 60.0)),
    )


def register_orders(ctx: ModuleContext, engine: FhirEngine) -> OrderEntryDeps:
    deps = order_entry_deps(ctx, engine)
    ctx.add_router(build_medication_order_router(deps))
    subscribe_saga(ctx, deps)
    interval = float(dict(ctx.config.get("orders", {})).get("recheck_interval", 5.0))
    ctx.add_worker("medication-order-recheck", lambda: run_recheck_worker(deps, interval))
    return deps
