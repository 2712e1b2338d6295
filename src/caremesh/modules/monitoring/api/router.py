"""The monitoring module's HTTP router."""

from __future__ import annotations

from fastapi import APIRouter

from caremesh.modules.monitoring.api.device_routes import add_device_routes
from caremesh.modules.monitoring.api.reading_routes import add_reading_routes
from caremesh.modules.monitoring.api.rejected_routes import add_rejected_routes
from caremesh.modules.monitoring.application.ingest import Ingestion
from caremesh.modules.monitoring.application.registry import Registry
from caremesh.modules.monitoring.application.series import Series


def build_router(ingestion: Ingestion, registry: Registry, series: Series) -> APIRouter:
    router = APIRouter(tags=["monitoring"])
    add_device_routes(router, registry)
    add_reading_routes(router, ingestion, registry, series)
    add_rejected_routes(router, ingestion)
    return router
