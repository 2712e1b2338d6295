"""Composition root of the pharmacy module: the verification queue fed by signed medication orders."""

from __future__ import annotations

from caremesh.contracts.pharmacy import PharmacyAPI
from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.modules.pharmacy.api.routes import build_router
from caremesh.modules.pharmacy.application.facade import PharmacyFacade
from caremesh.modules.pharmacy.application.intake import subscribe_intake


def register(ctx: ModuleContext) -> None:
    ctx.provide(PharmacyAPI, PharmacyFacade(ctx.db))
    ctx.add_router(build_router(ctx.db, ctx.outbox))
    subscribe_intake(ctx, ctx.outbox)


MODULE = ModuleDefinition(
    name="pharmacy",
    migrations="caremesh.modules.pharmacy.adapters.migrations",
    register=register,
)
