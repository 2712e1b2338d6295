"""The FHIR engine's REST API, mounted for every R4 resource type, authorized and audited."""

from __future__ import annotations

from fastapi import APIRouter

from caremesh.fhir.engine import FhirEngine
from caremesh.fhir.operations.bulk_export.service import BulkExport
from caremesh.fhir.rest import build_fhir_router
from caremesh.kernel.audit.writer import AuditWriter
from caremesh.modules.clinical.adapters.settings import FHIR_PREFIX


def build_router(engine: FhirEngine, exports: BulkExport, audit: AuditWriter | None = None) -> APIRouter:
    return build_fhir_router(
        engine, prefix=FHIR_PREFIX, exports=exports, audit=audit, source="caremesh/clinical"
    )
