"""The consuming side: one appended row per handled event, so a duplicate would show as a second row."""

from __future__ import annotations

from caremesh.kernel.clock import utcnow
from caremesh.kernel.events.consumer import HandlerContext
from caremesh.kernel.module import ModuleContext, ModuleDefinition

from .events import ProbeProduced


async def record_effect(event: ProbeProduced, hctx: HandlerContext) -> None:
    await hctx.conn.execute(
        "INSERT INTO probe_effects (n, event_id, applied_at) VALUES ($1, $2, $3)",
        event.n,
        hctx.envelope.id,
        utcnow(),
    )


def register(ctx: ModuleContext) -> None:
    ctx.subscribe("effects").on(ProbeProduced, record_effect)


MODULE = ModuleDefinition(
    name="probe_consumer", migrations="tests.fault.probe.consumer_migrations", register=register
)
