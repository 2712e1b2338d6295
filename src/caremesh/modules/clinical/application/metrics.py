"""Business counters of the clinical module (resource types and interactions, never ids)."""

from __future__ import annotations

from caremesh.kernel.observability.metrics import business_counter

RESOURCE_WRITES = business_counter(
    "clinical_resource_writes",
    "FHIR resources written, by resource type and interaction (create, update, delete)",
    ["resource_type", "interaction"],
)
