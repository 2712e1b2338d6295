"""Composition root of the monitoring module (remote patient monitoring)."""

from __future__ import annotations

from typing import Any

from caremesh.kernel.module import ModuleContext, ModuleDefinition
from caremesh.modules.monitoring.adapters.formats import builtin_formats
from caremesh.modules.monitoring.adapters.latest_cache import InProcessLatestCache, RedisLatestCache
from caremesh.modules.monitoring.adapters.settings import MonitoringSettings, load_settings
from caremesh.modules.monitoring.alerting_root import register_alerting
from caremesh.modules.monitoring.api.router import build_router
from caremesh.modules.monitoring.application.demo import load_demo
from caremesh.modules.monitoring.application.formats import FORMATS_GROUP, load_plugins
from caremesh.modules.monitoring.application.ingest import Ingestion
from caremesh.modules.monitoring.application.maintenance import maintenance_worker
from caremesh.modules.monitoring.application.ports import LatestCache, ReadingsObserver
from caremesh.modules.monitoring.application.registry import Registry
from caremesh.modules.monitoring.application.series import Series
from caremesh.modules.monitoring.domain.validation import BUILT_IN_VALIDATORS

VALIDATORS_GROUP = "caremesh.monitoring.validators"
_PIPELINES: dict[int, Ingestion] = {}  # by id() of the registered context (contexts are unhashable)


def _observers(ctx: ModuleContext) -> list[ReadingsObserver]:
    """Everything that runs inside the transaction storing accepted readings (alerting plugs in here)."""
    observers: list[ReadingsObserver] = [register_alerting(ctx)]
    return observers


def _cache(settings: MonitoringSettings) -> LatestCache:
    if settings.latest_cache and settings.latest_cache.startswith(("redis://", "rediss://")):
        return RedisLatestCache(settings.latest_cache)
    return InProcessLatestCache()


def build_ingestion(ctx: ModuleContext, settings: MonitoringSettings, cache: LatestCache) -> Ingestion:
    validators = load_plugins(VALIDATORS_GROUP, {v.name: v for v in BUILT_IN_VALIDATORS})
    return Ingestion(
        db=ctx.db,
        outbox=ctx.outbox,
        formats=load_plugins(FORMATS_GROUP, builtin_formats()),
        validators=tuple(validators.values()),
        cache=cache,
        policy=settings.policy,
        observers=_observers(ctx),
    )


def register(ctx: ModuleContext) -> None:
    settings = load_settings(ctx.config)
    cache = _cache(settings)
    ingestion = build_ingestion(ctx, settings, cache)
    _PIPELINES[id(ctx)] = ingestion
    registry = Registry(ctx.db)
    ctx.add_router(build_router(ingestion, registry, Series(ctx.db, cache)))
    ctx.add_worker(
        "maintenance",
        maintenance_worker(ingestion.partitions, settings.retention, settings.maintenance_interval),
    )
    if settings.mqtt_url:
        from caremesh.modules.monitoring.adapters.mqtt_ingest import mqtt_worker

        ctx.add_worker("mqtt", mqtt_worker(settings.mqtt_url, ingestion, registry, settings.mqtt_client_id))


async def demo(ctx: ModuleContext) -> dict[str, Any]:
    # The demo goes through the pipeline register() built (observers included): building a second
    # one would register alerting's routers and workers twice.
    ingestion = _PIPELINES.get(id(ctx))
    if ingestion is None:
        raise RuntimeError("monitoring demo needs a registered module context")
    return await load_demo(ingestion, Registry(ctx.db))


MODULE = ModuleDefinition(
    name="monitoring",
    migrations="caremesh.modules.monitoring.adapters.migrations",
    register=register,
    demo=demo,
)
