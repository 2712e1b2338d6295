"""Composition root of the clinical module: the FHIR engine on the module's database."""

from __future__ import annotations

from typing import Any

from caremesh.fhir.definitions import load
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.operations.bulk_export.service import BulkExport
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.kernel.security.tokens import var_dir
from caremesh.modules.clinical.adapters.demo import load_demo
from caremesh.modules.clinical.adapters.settings import load_settings
from caremesh.modules.clinical.api.fhir import build_router
from caremesh.modules.clinical.application.medication_order_context import track_medication_context
from caremesh.modules.clinical.application.medication_orders_demo import load_orders_demo
from caremesh.modules.clinical.application.medication_orders_setup import order_entry_deps, register_orders
from caremesh.modules.clinical.application.publishing import change_publisher
from caremesh.modules.clinical.application.rpm_sync import register_rpm_sync


def build_engine(ctx: ModuleContext) -> FhirEngine:
    settings = load_settings(ctx.config)
    return FhirEngine(
        ctx.db,
        definitions=load(),
        on_change=track_medication_context(change_publisher(ctx.outbox)),
        base_url=settings.base_url,
        max_body_bytes=settings.max_body_bytes,
    )


def register(ctx: ModuleContext) -> None:
    engine = build_engine(ctx)
    exports = BulkExport(engine, var_dir() / ctx.name / "fhir-export")
    ctx.add_router(build_router(engine, exports, AuditWriter.of(ctx.db)))
    ctx.add_worker("fhir-export", exports.work)
    register_orders(ctx, engine)
    register_rpm_sync(ctx, engine)

    async def store_ready() -> None:
        # The store's tables exist (its migrations ran) and answer a query that uses them.
        async with ctx.db.read() as conn:
            await conn.fetchval("SELECT COUNT(*) FROM (SELECT 1 FROM fhir_resource LIMIT 1) AS probe")

    ctx.add_readiness_check("fhir-store", store_ready)


async def demo(ctx: ModuleContext) -> dict[str, Any]:
    engine = build_engine(ctx)
    loaded = await load_demo(engine)
    return {**loaded, **await load_orders_demo(order_entry_deps(ctx, engine))}


MODULE = ModuleDefinition(
    name="clinical",
    migrations="caremesh.modules.clinical.adapters.migrations",
    register=register,
    demo=demo,
    components=(("fhir", "caremesh.fhir.storage.migrations"),),
)
