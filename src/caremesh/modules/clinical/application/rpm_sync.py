"""EHR sync: each ReadingsAccepted event becomes FHIR Observations in the clinical store.

The handler runs in the consumer's transaction (inbox mark + Observations commit together) and
writes each Observation as update-as-create with an id derived from the reading id; an
Observation that exists already is left alone, so a redelivery, a replay or a re-emitted event
never duplicates or re-versions it. When clinical is down the events wait in the bus (NATS) or
the monitoring outbox and are applied when it is back.
"""

from __future__ import annotations

from typing import Any

import orjson

from caremesh.contracts.monitoring import ReadingsAccepted
from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.storage import resources
from caremesh.kernel.db.base import Connection
from caremesh.kernel.events.consumer import Handler, HandlerContext
from caremesh.kernel.module import ModuleContext
from caremesh.modules.clinical.application.rpm_observations import device_resource, observations


def rpm_sync_handler(engine: FhirEngine) -> Handler:
    async def create_once(conn: Connection, resource: dict[str, Any]) -> None:
        kind, resource_id = resource["resourceType"], resource["id"]
        if await resources.current(conn, kind, resource_id) is not None:
            return
        incoming = engine.intake.for_update(orjson.dumps(resource), kind, resource_id)
        await engine.writer.put(conn, incoming, resource_id, method="PUT", if_match=None)

    async def on_readings_accepted(event: ReadingsAccepted, context: HandlerContext) -> None:
        # The Device first, so the Observations' device references resolve in the EHR.
        for device_id, device_type in sorted({(r.device_id, r.device_type) for r in event.readings}):
            await create_once(context.conn, device_resource(device_id, device_type))
        for reading in event.readings:
            for observation in observations(reading):
                await create_once(context.conn, observation)

    return on_readings_accepted


def register_rpm_sync(ctx: ModuleContext, engine: FhirEngine) -> None:
    ctx.subscribe("rpm-sync").on(ReadingsAccepted, rpm_sync_handler(engine))
