"""Composition root of the cds module."""

from __future__ import annotations

from typing import Any

from caremesh.contracts.cds import CdsAPI
from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.modules.cds.adapters.card_sql import SqlCardStore
from caremesh.modules.cds.adapters.knowledge_files import load_knowledge
from caremesh.modules.cds.api.router import build_router
from caremesh.modules.cds.application.deps import CdsDeps
from caremesh.modules.cds.application.facade import CdsFacade


def deps_of(ctx: ModuleContext) -> CdsDeps:
    return CdsDeps(db=ctx.db, store=SqlCardStore(), knowledge=load_knowledge())


def register(ctx: ModuleContext) -> None:
    deps = deps_of(ctx)
    ctx.provide(CdsAPI, CdsFacade(deps))
    ctx.add_router(build_router(deps))


async def demo(ctx: ModuleContext) -> dict[str, Any]:
    """Nothing to load: the knowledge ships with the package. Reports what is in it."""
    kb = load_knowledge()
    return {
        "knowledge_version": kb.version,
        "ingredients": len(kb.names),
        "drug_classes": len(kb.classes),
        "interaction_rules": len(kb.interactions),
        "cross_sensitivity_rules": len(kb.cross_sensitivities),
        "dose_limits": len(kb.dose_limits) + 1,
    }


MODULE = ModuleDefinition(
    name="cds",
    migrations="caremesh.modules.cds.adapters.migrations",
    register=register,
    demo=demo,
)
