"""Published language of the clinical module (the FHIR R4 store at ``/fhir/R4``)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from caremesh.contracts.base import Event


class ResourceChanged(Event):
    """A FHIR resource was created, updated (also by patch) or deleted, and the change committed.

    Carries no clinical content: a consumer that needs the resource reads it (by type, id and
    version) through the FHIR API. ``patient_id`` names the Patient whose compartment holds the
    resource (the Patient itself, or e.g. an Observation's subject) when the write knew it.
    """

    event_type: ClassVar[str] = "clinical.ResourceChanged"

    resource_type: str
    resource_id: str
    version_id: int
    interaction: Literal["create", "update", "delete"]
    last_updated: datetime
    patient_id: str | None = None

    def aggregate_id(self) -> str:
        return f"{self.resource_type}/{self.resource_id}"
