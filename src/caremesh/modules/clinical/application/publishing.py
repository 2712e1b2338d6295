"""Every committed write of the FHIR engine becomes a ``ResourceChanged`` event."""

from __future__ import annotations

from typing import Literal, cast

from caremesh.contracts.clinical import ResourceChanged
from caremesh.fhir.changes import ChangeListener, ResourceChange
from caremesh.kernel.db.base import Connection
from caremesh.kernel.events.outbox import Outbox
from caremesh.modules.clinical.application.metrics import RESOURCE_WRITES

Interaction = Literal["create", "update", "delete"]


def resource_changed(change: ResourceChange) -> ResourceChanged:
    return ResourceChanged(
        resource_type=change.resource_type,
        resource_id=change.resource_id,
        version_id=change.version,
        interaction=cast(Interaction, change.interaction),
        last_updated=change.last_updated,
        patient_id=change.patient_id,
    )


def change_publisher(outbox: Outbox) -> ChangeListener:
    """The engine's listener: the events join the write's transaction; counts wait for its commit."""

    async def publish(conn: Connection, *changes: ResourceChange) -> None:
        await outbox.add(conn, *(resource_changed(change) for change in changes))
        for change in changes:
            counter = RESOURCE_WRITES.labels(
                resource_type=change.resource_type, interaction=change.interaction
            )
            conn.on_commit(counter.inc)

    return publish
