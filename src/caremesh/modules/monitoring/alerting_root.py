"""Composition root of monitoring's alerting part: called by ``module.register`` with the module's context.

Registers the care-team API, the escalation / missing-data / housekeeping workers, and returns the
observer the ingestion pipeline calls inside the transaction that stores accepted readings.

Settings (``[modules.monitoring]`` of a topology, all optional): ``escalation_poll_seconds`` (15),
``missing_data_poll_seconds`` (300), ``housekeeping_poll_seconds`` (3600).
"""

from __future__ import annotations

from caremesh.kernel.clock import utcnow
from caremesh.kernel.idempotency import IdempotencyService
from caremesh.kernel.module import ModuleContext
from caremesh.modules.monitoring.api.alerts import alerts_router
from caremesh.modules.monitoring.api.care_team import care_team_router
from caremesh.modules.monitoring.application.alerting.evaluation import AlertingObserver
from caremesh.modules.monitoring.application.alerting.raising import AlertRaiser
from caremesh.modules.monitoring.application.alerting.rpm import RpmProgramme
from caremesh.modules.monitoring.application.alerting.workers import (
    Escalator,
    Housekeeping,
    MissingDataWatch,
    every,
)
from caremesh.modules.monitoring.application.ports import ReadingsObserver


def _seconds(ctx: ModuleContext, key: str, default: float) -> float:
    value = ctx.config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"modules.{ctx.name}.{key} must be a positive number of seconds")
    return float(value)


def register_alerting(ctx: ModuleContext) -> ReadingsObserver:
    raiser = AlertRaiser(ctx.outbox)
    rpm = RpmProgramme(ctx.outbox)
    escalator = Escalator(ctx.db, ctx.outbox, utcnow)
    missing = MissingDataWatch(ctx.db, raiser, utcnow)
    housekeeping = Housekeeping(ctx.db, utcnow)
    ctx.add_worker(
        "alert-escalation",
        every(_seconds(ctx, "escalation_poll_seconds", 15), escalator.run_once, "escalation"),
    )
    ctx.add_worker(
        "missing-data",
        every(_seconds(ctx, "missing_data_poll_seconds", 300), missing.run_once, "missing-data"),
    )
    ctx.add_worker(
        "alert-housekeeping",
        every(_seconds(ctx, "housekeeping_poll_seconds", 3600), housekeeping.run_once, "housekeeping"),
    )
    ctx.add_router(alerts_router(ctx.db, utcnow))
    ctx.add_router(care_team_router(ctx.db, rpm, IdempotencyService(ctx.db), utcnow))
    return AlertingObserver(raiser=raiser, rpm=rpm, clock=utcnow)
