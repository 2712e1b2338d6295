"""Composition root of the scheduling module."""

from __future__ import annotations

from typing import Any

from caremesh.contracts.scheduling import SchedulingAPI
from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.modules.scheduling.adapters.store import SqlSchedulingStore
from caremesh.modules.scheduling.api.router import build_router
from caremesh.modules.scheduling.application.demo import load_demo
from caremesh.modules.scheduling.application.deps import SchedulingDeps
from caremesh.modules.scheduling.application.facade import SchedulingFacade


def deps_of(ctx: ModuleContext) -> SchedulingDeps:
    return SchedulingDeps(db=ctx.db, outbox=ctx.outbox, store=SqlSchedulingStore())


def register(ctx: ModuleContext) -> None:
    deps = deps_of(ctx)
    ctx.provide(SchedulingAPI, SchedulingFacade(deps))
    ctx.add_router(build_router(deps))


async def demo(ctx: ModuleContext) -> dict[str, Any]:
    return await load_demo(deps_of(ctx))


MODULE = ModuleDefinition(
    name="scheduling",
    migrations="caremesh.modules.scheduling.adapters.migrations",
    register=register,
    demo=demo,
)
