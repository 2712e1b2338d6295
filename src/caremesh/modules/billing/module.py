"""Composition root of the billing module (charge capture on dispense; claims come later)."""

from __future__ import annotations

from caremesh.contracts.billing import BillingAPI
from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.modules.billing.api.routes import build_router
from caremesh.modules.billing.application.capture import subscribe_capture
from caremesh.modules.billing.application.facade import BillingFacade


def register(ctx: ModuleContext) -> None:
    ctx.provide(BillingAPI, BillingFacade(ctx.db))
    ctx.add_router(build_router(ctx.db))
    subscribe_capture(ctx, ctx.outbox)


MODULE = ModuleDefinition(
    name="billing",
    migrations="caremesh.modules.billing.adapters.migrations",
    register=register,
)
