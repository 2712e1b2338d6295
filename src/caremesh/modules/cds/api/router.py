"""The cds module's HTTP router; every route requires an authenticated caller."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from caremesh.kernel.security.principal import require_principal
from caremesh.modules.cds.api.hooks_routes import add_hooks_routes
from caremesh.modules.cds.api.stats_routes import add_stats_routes
from caremesh.modules.cds.application.deps import CdsDeps


def build_router(deps: CdsDeps) -> APIRouter:
    router = APIRouter(tags=["cds"], dependencies=[Depends(require_principal)])
    add_hooks_routes(router, deps)
    add_stats_routes(router, deps)
    return router
