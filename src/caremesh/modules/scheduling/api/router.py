"""The scheduling module's HTTP router; every route requires an authenticated caller."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from caremesh.kernel.idempotency import IdempotencyService
from caremesh.kernel.security.principal import require_principal
from caremesh.modules.scheduling.api.appointment_routes import add_appointment_routes
from caremesh.modules.scheduling.api.appointment_v2 import add_appointment_v2_routes
from caremesh.modules.scheduling.api.schedule_routes import add_schedule_routes
from caremesh.modules.scheduling.api.slot_routes import add_slot_routes
from caremesh.modules.scheduling.application.deps import SchedulingDeps


def build_router(deps: SchedulingDeps) -> APIRouter:
    router = APIRouter(tags=["scheduling"], dependencies=[Depends(require_principal)])
    idempotency = IdempotencyService(deps.db, clock=deps.clock)
    add_schedule_routes(router, deps, idempotency)
    add_slot_routes(router, deps)
    add_appointment_routes(router, deps, idempotency)
    add_appointment_v2_routes(router, deps)
    return router
